"""The RNN encoder-decoders of utils.seq2seq: Bahdanau attention, padding, decoding, and the shipped pair."""
import pytest
import torch

import utils
from utils.seq2seq import (AdditiveAttention, RNNSeq2Seq, additive_attention, clause_vocabularies,
                           exact_match_by_clauses, load_rnn_seq2seq, make_clause_corpus, save_rnn_seq2seq)


def test_additive_attention_matches_bahdanaus_formula_and_ignores_padding():
    torch.manual_seed(0)
    attend = AdditiveAttention(state_dim=6, memory_dim=4, attention_dim=5)
    state, memory = torch.randn(2, 6), torch.randn(2, 3, 4)
    src_mask = torch.tensor([[True, True, True], [True, True, False]])
    context, weights = attend(state, memory, src_mask)
    W, U, v = attend.W.weight, attend.U.weight, attend.v
    for b in range(2):
        real = int(src_mask[b].sum())
        scores = torch.stack([v @ torch.tanh(W @ state[b] + U @ memory[b, j]) for j in range(real)])
        expected = scores.softmax(dim=0)
        torch.testing.assert_close(weights[b, :real], expected)
        torch.testing.assert_close(context[b], expected @ memory[b, :real])
    assert weights[1, 2] == 0  # a padded position gets no weight
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2))
    unmasked, _ = additive_attention(state, memory, W, U, v)
    torch.testing.assert_close(unmasked[0], context[0])  # no padding in row 0: the mask changes nothing there


def test_additive_attention_names_bad_shapes():
    W, U, v = torch.randn(5, 6), torch.randn(5, 4), torch.randn(5)
    with pytest.raises(ValueError, match=r"state \(B, Hs\) and memory \(B, S, Hm\)"):
        additive_attention(torch.randn(6), torch.randn(2, 3, 4), W, U, v)
    with pytest.raises(ValueError, match=r"mask must have shape \(B, S\) = \(2, 3\)"):
        additive_attention(torch.randn(2, 6), torch.randn(2, 3, 4), W, U, v, mask=torch.ones(2, 4, dtype=torch.bool))


@pytest.mark.parametrize("attention", [True, False])
def test_padding_changes_nothing(attention):
    torch.manual_seed(0)
    model = RNNSeq2Seq(20, 15, embed_dim=8, hidden=12, attention=attention).eval()
    src = torch.tensor([[4, 5, 6, 0], [7, 8, 0, 0]])
    tgt_in = torch.tensor([[1, 4, 5], [1, 6, 0]])
    longer = torch.cat([src, torch.zeros(2, 3, dtype=torch.long)], dim=1)  # three more padding columns
    torch.testing.assert_close(model(src, tgt_in), model(longer, tgt_in))
    alone = model(src[1:, :2], tgt_in[1:])  # the second sentence without any padding, in a batch of one
    torch.testing.assert_close(model(src, tgt_in)[1:], alone)
    logits, weights = model.decode(tgt_in, *model.encode(src), return_weights=True)
    assert logits.shape == (2, 3, 15)
    if attention:
        assert weights.shape == (2, 3, 4) and torch.all(weights[1, :, 2:] == 0)
    else:
        assert weights is None


def test_greedy_decode_agrees_with_teacher_forcing():
    torch.manual_seed(0)
    model = RNNSeq2Seq(20, 15, embed_dim=8, hidden=12).eval()
    src = torch.tensor([[4, 5, 6], [7, 8, 0]])
    ys = model.greedy_decode(src, bos_id=1, eos_id=2, max_len=6)
    assert ys.shape[0] == 2 and ys.shape[1] <= 7 and torch.all(ys[:, 0] == 1)
    logits = model(src, ys[:, :-1])
    for b in range(2):  # every word greedy wrote is the argmax of the teacher-forced logits, up to its eos
        for t in range(ys.size(1) - 1):
            assert ys[b, t + 1] == logits[b, t].argmax()
            if ys[b, t + 1] == 2:
                break


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="hidden must be even"):
        RNNSeq2Seq(10, 10, hidden=7)
    model = RNNSeq2Seq(10, 10, embed_dim=4, hidden=6)
    with pytest.raises(ValueError, match="at least one word"):
        model(torch.tensor([[3, 4], [0, 0]]), torch.tensor([[1], [1]]))
    with pytest.raises(ValueError, match=r"shape \(B, S\)"):
        model(torch.tensor([3, 4]), torch.tensor([[1]]))


def test_clause_corpus_holds_out_its_test_sentences():
    train, test = make_clause_corpus(300, 20, max_clauses=3, test_clauses=4, seed=1)
    assert len(train) == 300 and sorted(test) == [1, 2, 3, 4]
    for k, pairs in test.items():
        assert len(pairs) == 20
        assert all(fr.count(" et ") == k - 1 and en.count(" and ") == k - 1 for fr, en in pairs)
    held_out = {fr for pairs in test.values() for fr, _ in pairs}
    assert not held_out & {fr for fr, _ in train}
    assert {fr.count(" et ") + 1 for fr, _ in train} == {1, 2, 3}
    assert make_clause_corpus(300, 20, max_clauses=3, test_clauses=4, seed=1) == (train, test)


def test_save_and_load_round_trip(tmp_path):
    train, test = make_clause_corpus(50, 2, max_clauses=2, seed=0)
    src_vocab, tgt_vocab = clause_vocabularies(train, test)
    torch.manual_seed(0)
    models = {"attention": RNNSeq2Seq(len(src_vocab), len(tgt_vocab), embed_dim=8, hidden=12),
              "bottleneck": RNNSeq2Seq(len(src_vocab), len(tgt_vocab), embed_dim=8, hidden=12, attention=False)}
    save_rnn_seq2seq(models, src_vocab, tgt_vocab, tmp_path / "pair.safetensors", steps=3)
    loaded, src2, tgt2, info = load_rnn_seq2seq(tmp_path / "pair.safetensors")
    assert src2.itos == src_vocab.itos and tgt2.itos == tgt_vocab.itos and info == {"steps": 3}
    src = torch.tensor([src_vocab.encode(train[0][0])])
    for name, model in models.items():
        torch.testing.assert_close(loaded[name](src, torch.tensor([[1, 5]])), model.eval()(src, torch.tensor([[1, 5]])))
    with pytest.raises(FileNotFoundError, match="train_seq2seq"):
        load_rnn_seq2seq(tmp_path / "missing.safetensors")


def test_the_shipped_pair_shows_the_bottleneck():
    """Re-measure the shipped models: attention translates 1-3 clauses; the single vector does not."""
    from utils.seq2seq import CORPUS
    models, src_vocab, tgt_vocab, info = load_rnn_seq2seq()
    _, test = make_clause_corpus(**CORPUS)
    for name, model in models.items():
        scores = exact_match_by_clauses(model, test, src_vocab, tgt_vocab)
        assert scores == pytest.approx({int(k): v for k, v in info["exact_match"][name].items()}, abs=0.011)
    attention = info["exact_match"]["attention"]
    bottleneck = info["exact_match"]["bottleneck"]
    assert min(attention[k] for k in ("1", "2", "3")) >= 0.95
    assert bottleneck["2"] <= attention["2"] - 0.5 and bottleneck["3"] <= 0.1
    assert utils.seed_everything(0) == 0
