import itertools
import math

import pytest
import torch
import torch.nn as nn

from utils import Transformer
from utils.data import make_translation_corpus
from utils.tokenization import Vocab
from utils.decoding import beam_search, sequence_log_prob, translate
from utils.translator import exact_match, train_translator

PAD, BOS, EOS = 0, 1, 2


def tiny_model(seed, src_vocab=10, tgt_vocab=8, eos_bias=1.5):
    """A random little Transformer; eos_bias makes sentences end at different lengths."""
    torch.manual_seed(seed)
    model = Transformer(src_vocab, tgt_vocab, d_model=16, num_heads=2, num_layers=1, d_ff=32, dropout=0.0).eval()
    with torch.no_grad():
        model.generator.bias[EOS] += eos_bias
    return model


def random_src(batch=16, length=5, vocab=10):
    src = torch.randint(3, vocab, (batch, length))
    src[::3, -2:] = PAD  # some padded sentences
    return src


class TableModel(nn.Module):
    """A stand-in for Transformer whose next-token probabilities are written down by hand:
    table[prefix without BOS] = probabilities of the 5 tokens pad, bos, eos, "a", "b"."""

    pad_id = PAD

    def __init__(self, table, default=(0.0, 0.0, 1.0, 0.0, 0.0)):
        super().__init__()
        self.generator = nn.Linear(1, 5)  # only its out_features (the vocabulary size) is read
        self.table, self.default = table, default

    def encode(self, src):
        return torch.zeros(src.size(0), 1, 1), torch.ones(src.size(0), 1, 1, 1, dtype=torch.bool)

    def decode(self, ys, memory, src_mask):
        probs = [self.table.get(tuple(row[1:].tolist()), self.default) for row in ys]
        logits = torch.tensor(probs).clamp(min=1e-12).log()  # (B, 5)
        return logits[:, None].expand(-1, ys.size(1), -1)  # only the last position is read


A, B_ = 3, 4
# Greedy takes "a" (0.6) and then has to pick among even choices: p(a b eos) = 0.6 * 0.4 = 0.24.
# "b eos" has probability 0.4: beam search finds it, greedy does not.
TRAP = {(): (0, 0, 0, 0.6, 0.4), (A,): (0, 0, 0.3, 0.3, 0.4), (B_,): (0, 0, 1.0, 0, 0)}


def test_beam_size_one_equals_greedy():
    for seed in range(6):
        model, src = tiny_model(seed), random_src()
        greedy = model.greedy_decode(src, BOS, EOS, max_len=7)
        assert torch.equal(beam_search(model, src, BOS, EOS, max_len=7, beam_size=1), greedy), seed


def test_a_single_sentence_gives_a_single_sequence():
    model, src = tiny_model(0), random_src()
    batch = beam_search(model, src, BOS, EOS, max_len=6)
    for i in range(4):
        one = beam_search(model, src[i], BOS, EOS, max_len=6)
        assert one.dim() == 1 and one[0] == BOS
        assert torch.equal(one, batch[i, : len(one)]) and (batch[i, len(one):] == PAD).all()


def test_returned_scores_are_log_probabilities_and_beat_greedy():
    for seed in range(6):
        model, src = tiny_model(seed), random_src()
        greedy = model.greedy_decode(src, BOS, EOS, max_len=6)
        tokens, scores = beam_search(model, src, BOS, EOS, max_len=6, beam_size=4, length_penalty=0.0,
                                     return_scores=True)
        with torch.no_grad():
            torch.testing.assert_close(scores, sequence_log_prob(model, src, tokens, EOS), atol=1e-4, rtol=0)
            greedy_scores = sequence_log_prob(model, src, greedy, EOS)
        # Not a theorem (the greedy path can fall out of the beam), but true of these models.
        assert (scores >= greedy_scores - 1e-4).all(), seed


def test_a_beam_as_wide_as_every_sequence_finds_the_most_likely_one():
    model, src, max_len, V = tiny_model(3, tgt_vocab=4, eos_bias=0.5), random_src(4), 3, 4
    tokens, scores = beam_search(model, src, BOS, EOS, max_len, beam_size=V ** max_len,
                                 length_penalty=0.0, return_scores=True)
    # Every output: max_len tokens, or fewer ending with EOS (any token may be generated).
    outputs = [seq for n in range(1, max_len + 1) for seq in itertools.product(range(V), repeat=n)
               if n == max_len or (seq[-1] == EOS and EOS not in seq[:-1])]
    for i in range(len(src)):
        candidates = torch.tensor([[BOS, *seq] + [PAD] * (max_len - len(seq)) for seq in outputs])
        with torch.no_grad():
            log_probs = sequence_log_prob(model, src[i:i + 1].expand(len(outputs), -1), candidates, EOS)
        assert scores[i] == pytest.approx(log_probs.max().item(), abs=1e-4)
        assert torch.equal(tokens[i], candidates[log_probs.argmax()][: tokens.size(1)])
        greedy = model.greedy_decode(src[i:i + 1], BOS, EOS, max_len)
        with torch.no_grad():
            assert scores[i] >= sequence_log_prob(model, src[i:i + 1], greedy, EOS).item() - 1e-5


def test_beam_search_escapes_the_greedy_trap():
    model, src = TableModel(TRAP), torch.tensor([[5]])
    greedy = beam_search(model, src, BOS, EOS, max_len=5, beam_size=1)
    tokens, score = beam_search(model, src, BOS, EOS, max_len=5, beam_size=2, length_penalty=0.0,
                                return_scores=True)
    assert greedy.tolist() == [[BOS, A, B_, EOS]]
    assert tokens.tolist() == [[BOS, B_, EOS]] and score.item() == pytest.approx(math.log(0.4))


def test_length_penalty_decides_between_short_and_long():
    # "eos" now: 0.3. "a a a eos": 0.7 * 0.9 * 0.9 * 1 = 0.567 in total, 0.87 per token.
    table = {(): (0, 0, 0.3, 0.7, 0), (A,): (0, 0, 0.1, 0.9, 0), (A, A): (0, 0, 0.1, 0.9, 0)}
    model, src = TableModel(table), torch.tensor([[5]])
    best = beam_search(model, src, BOS, EOS, max_len=5, beam_size=3, length_penalty=0.0)
    assert best.tolist() == [[BOS, A, A, A, EOS]]
    table[()] = (0, 0, 0.45, 0.55, 0)  # now the short one is more likely: 0.45 against 0.4455 ...
    best = beam_search(model, src, BOS, EOS, max_len=5, beam_size=3, length_penalty=0.0)
    assert best.tolist() == [[BOS, EOS]]
    normalised = beam_search(model, src, BOS, EOS, max_len=5, beam_size=3, length_penalty=1.0)
    assert normalised.tolist() == [[BOS, A, A, A, EOS]]  # ... but not per token


def test_eos_ends_a_hypothesis():
    always_eos = TableModel({})
    out = beam_search(always_eos, torch.tensor([[5], [6]]), BOS, EOS, max_len=6, beam_size=3)
    assert out.tolist() == [[BOS, EOS], [BOS, EOS]]
    never_eos = TableModel({}, default=(0, 0, 0, 0.5, 0.5))
    out = beam_search(never_eos, torch.tensor([[5]]), BOS, EOS, max_len=4, beam_size=3)
    assert out.shape == (1, 5) and EOS not in out
    model, src = tiny_model(1, eos_bias=2.0), random_src()
    out = beam_search(model, src, BOS, EOS, max_len=8, beam_size=3)
    for row in out:
        if EOS in row:
            assert (row[row.tolist().index(EOS) + 1:] == PAD).all()


def test_bad_arguments():
    model, src = tiny_model(0), random_src(2)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, src, BOS, EOS, max_len=5, beam_size=0)
    with pytest.raises(ValueError, match="max_len"):
        beam_search(model, src, BOS, EOS, max_len=0)
    with pytest.raises(ValueError, match=r"\(B, Ls\)"):
        beam_search(model, src[None], BOS, EOS, max_len=5)
    with pytest.raises(ValueError, match="eos_id"):
        beam_search(model, src, BOS, 8, max_len=5)
    vocab = Vocab(["le chat"])
    with pytest.raises(ValueError, match="method"):
        translate(model, "le chat", vocab, vocab, method="sample")
    with pytest.raises(ValueError, match="non-empty"):
        translate(model, "", vocab, vocab)


def test_translate_strings_and_lists():
    pairs, _ = make_translation_corpus(50, 0)
    src_vocab, tgt_vocab = Vocab(fr for fr, _ in pairs), Vocab(en for _, en in pairs)
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=16, num_heads=2, num_layers=1, d_ff=32).train()
    one = translate(model, pairs[0][0], src_vocab, tgt_vocab, max_len=4)
    assert isinstance(one, str) and len(one.split()) <= 4
    assert model.training  # translate puts the model back in the mode it found it in
    many = translate(model, [fr for fr, _ in pairs[:3]], src_vocab, tgt_vocab, method="beam", max_len=4)
    assert isinstance(many, list) and len(many) == 3
    assert 0.0 <= exact_match(model, pairs[:10], src_vocab, tgt_vocab, batch_size=4) <= 1.0


def test_train_translator_is_reproducible():
    def run():
        return train_translator(seed=1, steps=5, n_train=200, n_test=20, progress=False)

    a, b = run(), run()
    assert a.test_pairs == b.test_pairs and a.history.losses == b.history.losses
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_train_translator_passes_eval_fn_and_model_class():
    class Doubled(Transformer):
        pass

    seen = []
    translator = train_translator(seed=1, steps=4, n_train=100, n_test=10, progress=False, model_class=Doubled,
                                  eval_fn=lambda model: seen.append(type(model)) or 0.5, eval_every=2)
    assert isinstance(translator.model, Doubled)
    assert seen == [Doubled, Doubled] and translator.history.evals == [(2, 0.5), (4, 0.5)]
    with pytest.raises(ValueError, match="model_class"):
        train_translator(steps=1, n_train=10, n_test=1, progress=False, model_class=nn.Linear)


@pytest.mark.slow
def test_translator_reaches_99_percent_on_held_out_sentences():
    translator = train_translator(seed=0, progress=False)
    assert len(translator.test_pairs) >= 300
    train_french = {fr for fr, _ in translator.train_pairs}
    assert not any(fr in train_french for fr, _ in translator.test_pairs)
    args = (translator.model, translator.test_pairs, translator.src_vocab, translator.tgt_vocab)
    assert exact_match(*args, method="greedy") >= 0.99
    assert exact_match(*args, method="beam") >= 0.99
    assert translator("le chat noir mange une pomme") == "the black cat eats an apple"


def test_greedy_search_suppresses_tokens_and_pads_after_eos():
    from utils.decoding import greedy_search

    # logits that always prefer token 3, then 4, then 2 (= eos); row 1 prefers eos at once
    prefs = torch.tensor([[0.0, 0.0, 1.0, 3.0, 2.0], [0.0, 0.0, 5.0, 1.0, 0.5]])
    prefix = torch.ones(2, 1, dtype=torch.long)
    out = greedy_search(lambda tokens: prefs.clone(), prefix, eos_id=2, max_new_tokens=3, pad_id=0)
    assert out.tolist() == [[1, 3, 3, 3], [1, 2, 0, 0]]
    out = greedy_search(lambda tokens: prefs.clone(), prefix, 2, 3, 0, suppress_ids=[3])
    assert out.tolist() == [[1, 4, 4, 4], [1, 2, 0, 0]]
    out = greedy_search(lambda tokens: prefs.clone(), prefix, 2, 3, 0, begin_suppress_ids=[2])
    assert out[:, 1].tolist() == [3, 3] and out[1, 2].item() == 2  # eos is banned at the first step only
