"""utils.alignment: decoder attention weights caught by hooks, checked against a by-hand decoder pass."""
import pytest
import torch

from utils import Transformer, causal_mask, padding_mask
from utils.alignment import (aligned_words, alignment, alignment_accuracy, cross_attention_weights,
                             decoder_attention_weights)
from utils.data import make_translation_corpus, word_translations
from utils.tokenization import Vocab
from utils.translator import train_translator

PAD, BOS, EOS = 0, 1, 2


def tiny_model(seed=0, norm_first=False, num_layers=2):
    torch.manual_seed(seed)
    return Transformer(12, 9, d_model=16, num_heads=4, num_layers=num_layers, d_ff=32, dropout=0.0,
                       norm_first=norm_first).eval()


def padded_batch():
    src = torch.randint(3, 12, (3, 6))
    src[1, 4:] = PAD
    src[2, 2:] = PAD
    tgt_in = torch.randint(3, 9, (3, 5))
    tgt_in[:, 0] = BOS
    tgt_in[2, 3:] = PAD
    return src, tgt_in


@torch.no_grad()
def by_hand(model, src, tgt_in):
    """Both attentions of every decoder layer, recomputed step by step from the layers' parts."""
    memory, src_mask = model.encode(src)
    tgt_mask = causal_mask(tgt_in.size(1)) & padding_mask(tgt_in, PAD)
    x = model.positional(model.tgt_embed(tgt_in))
    selfs, crosses = [], []
    for layer in model.decoder.layers:
        h = layer.norm1(x) if layer.norm_first else x
        out, w_self = layer.self_attn(h, h, h, mask=tgt_mask, need_weights=True)
        x = x + out if layer.norm_first else layer.norm1(x + out)
        h = layer.norm2(x) if layer.norm_first else x
        out, w_cross = layer.cross_attn(h, memory, memory, mask=src_mask, need_weights=True)
        x = x + out if layer.norm_first else layer.norm2(x + out)
        x = x + layer.feed_forward(layer.norm3(x)) if layer.norm_first else layer.norm3(x + layer.feed_forward(x))
        selfs.append(w_self)
        crosses.append(w_cross)
    if model.decoder.norm is not None:
        x = model.decoder.norm(x)
    torch.testing.assert_close(model.generator(x), model(src, tgt_in))  # the by-hand pass is the model's
    return torch.stack(selfs), torch.stack(crosses)


@pytest.mark.parametrize("norm_first", [False, True])
def test_hooked_weights_equal_a_by_hand_decoder_pass(norm_first):
    model = tiny_model(1, norm_first)
    src, tgt_in = padded_batch()
    expected_self, expected_cross = by_hand(model, src, tgt_in)
    cross = cross_attention_weights(model, src, tgt_in)
    assert cross.shape == (2, 3, 4, 5, 6)
    torch.testing.assert_close(cross, expected_cross)
    torch.testing.assert_close(decoder_attention_weights(model, src, tgt_in, "self_attn"), expected_self)


def test_rows_sum_to_one_and_masked_positions_get_nothing():
    model = tiny_model(2)
    src, tgt_in = padded_batch()
    cross = cross_attention_weights(model, src, tgt_in)
    assert (cross[:, 1, :, :, 4:] == 0).all() and (cross[:, 2, :, :, 2:] == 0).all()  # source padding
    torch.testing.assert_close(cross.sum(-1), torch.ones(cross.shape[:-1]))
    selfs = decoder_attention_weights(model, src, tgt_in, "self_attn")
    assert (selfs.triu(diagonal=1) == 0).all()  # no position reads its future


def test_hooks_leave_the_model_as_they_found_it():
    model = tiny_model(3).train()
    src, tgt_in = padded_batch()
    before = model(src, tgt_in)
    cross_attention_weights(model, src, tgt_in)
    assert model.training  # the mode is restored
    for layer in model.decoder.layers:
        assert not layer.cross_attn._forward_hooks and not layer.self_attn._forward_hooks
    torch.testing.assert_close(model(src, tgt_in), before)


def test_bad_arguments():
    model = tiny_model(0)
    src, tgt_in = padded_batch()
    with pytest.raises(ValueError, match="which"):
        decoder_attention_weights(model, src, tgt_in, which="encoder")
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        cross_attention_weights(model, src[0], tgt_in)
    with pytest.raises(ValueError, match="encoder-decoder"):
        cross_attention_weights(torch.nn.Linear(2, 2), src, tgt_in)
    vocab = Vocab(["le chat noir", "the black cat"])
    model = Transformer(len(vocab), len(vocab), d_model=8, num_heads=2, num_layers=2, d_ff=8).eval()
    with pytest.raises(ValueError, match="non-empty"):
        alignment(model, "", vocab, vocab)
    with pytest.raises(ValueError, match="layers"):
        alignment(model, "le chat", vocab, vocab, english="the cat", layers=5)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        aligned_words(torch.ones(3, 3), ["a", "b"], ["x", "y", "z"])


def test_alignment_of_one_pair_averages_heads_of_the_chosen_layers():
    pairs, _ = make_translation_corpus(50, 0)
    src_vocab, tgt_vocab = Vocab(fr for fr, _ in pairs), Vocab(en for _, en in pairs)
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=16, num_heads=2, num_layers=2, d_ff=32,
                        dropout=0.0).eval()
    french, english = pairs[0]
    table, english_words, french_words = alignment(model, french, src_vocab, tgt_vocab, english=english)
    assert english_words == english.split() + ["<eos>"] and french_words == french.split()
    src = torch.tensor([src_vocab.encode(french)])
    tgt_in = torch.tensor([[BOS] + tgt_vocab.encode(english)])
    weights = cross_attention_weights(model, src, tgt_in)[:, 0]
    torch.testing.assert_close(table, weights[-1].mean(0))
    both, _, _ = alignment(model, french, src_vocab, tgt_vocab, english=english, layers=[0, 1])
    torch.testing.assert_close(both, weights.mean((0, 1)))
    # Without a reference it aligns the model's own translation.
    _, own, _ = alignment(model, french, src_vocab, tgt_vocab)
    assert own[-1] == "<eos>"


def test_aligned_words_picks_the_strongest_column():
    weights = torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    assert aligned_words(weights, ["cat", "the"], ["le", "chat", "noir"]) == [("cat", "chat"), ("the", "le")]


def test_alignment_accuracy_counts_lexicon_words():
    pairs, _ = make_translation_corpus(40, 0)
    src_vocab, tgt_vocab = Vocab(fr for fr, _ in pairs), Vocab(en for _, en in pairs)
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=16, num_heads=2, num_layers=1, d_ff=32,
                        dropout=0.0).eval()
    lexicon = word_translations()
    score = alignment_accuracy(model, pairs, src_vocab, tgt_vocab, lexicon, batch_size=16)
    # The same count, one sentence at a time, through alignment().
    hits = total = 0
    for fr, en in pairs:
        table, english_words, french_words = alignment(model, fr, src_vocab, tgt_vocab, english=en)
        for e, f in aligned_words(table, english_words, french_words)[:-1]:
            total += 1
            hits += f in lexicon[e]
    assert score == pytest.approx(hits / total)
    with pytest.raises(ValueError, match="lexicon"):
        alignment_accuracy(model, pairs, src_vocab, tgt_vocab, {"zebra": {"zèbre"}})


@pytest.mark.slow
def test_the_trained_translator_aligns_words_across_reordering():
    translator = train_translator(seed=0, progress=False)
    args = (translator.model,)
    vocabs = (translator.src_vocab, translator.tgt_vocab)
    table, english, french = alignment(*args, "le chien mange une pomme", *vocabs)
    assert english == ["the", "dog", "eats", "an", "apple", "<eos>"]
    assert dict(aligned_words(table, english, french)[:-1]) == {
        "the": "le", "dog": "chien", "eats": "mange", "an": "une", "apple": "pomme"}
    table, english, french = alignment(*args, "le chat noir voit le chien", *vocabs)
    pairs = aligned_words(table, english, french)
    assert pairs[1] == ("black", "noir") and pairs[2] == ("cat", "chat")  # the crossing
    accuracy = alignment_accuracy(*args, translator.test_pairs, *vocabs, word_translations())
    assert accuracy >= 0.9
