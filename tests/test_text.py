"""Lesson 05's text pipeline: utils.data.pydoc (the offline corpus), utils.tokenization (its tokenizers and their
cache), utils.batching (LM batches and BERT's masking) and utils.losses (LM losses and metrics)."""
import collections
import math

import pytest
import torch
import torch.nn.functional as F

import utils.data.pydoc
from utils import runtime
from utils.batching import IGNORE_INDEX, blocks_at, get_batch, lm_batches, mask_tokens
from utils.data.pydoc import load_corpus, load_text_corpus, split_corpus
from utils.losses import evaluate_lm, lm_loss, mlm_loss, unigram_cross_entropy
from utils.tokenization import BPETokenizer, CharTokenizer, train_bpe


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty tokenizer cache for one test."""
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def corpus_text():
    return load_corpus()


# -------------------------------------------------------------------------------- corpus

def test_corpus_is_the_pydoc_help_text_and_is_stable(corpus_text):
    from pydoc_data.topics import topics

    assert len(corpus_text) > 300_000
    assert topics["if"].strip() in corpus_text
    assert load_corpus() == corpus_text


def test_split_is_a_contiguous_cut_at_a_blank_line(corpus_text):
    train, val = split_corpus(corpus_text, 0.1)
    assert corpus_text == train + "\n\n" + val or corpus_text.startswith(train)
    assert corpus_text.endswith(val) and train.strip() and val.strip()
    assert abs(len(val) / len(corpus_text) - 0.1) < 0.02
    assert split_corpus(corpus_text, 0.1) == (train, val)
    for bad in (0, 1, -0.5, 1.5):
        with pytest.raises(ValueError, match="val_fraction"):
            split_corpus(corpus_text, bad)
    with pytest.raises(ValueError, match="too short"):
        split_corpus("x", 0.5)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "here"))
    assert runtime.cache_dir() == tmp_path / "here"
    monkeypatch.delenv(runtime.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.cache_dir() == tmp_path / "xdg" / "transformers-course"


# -------------------------------------------------------------------------------- tokenizers

def test_char_tokenizer_round_trip_and_unknown_characters():
    tok = CharTokenizer("hello world")
    assert tok.vocab_size == 2 + len(set("hello world"))
    assert (tok.unk_id, tok.mask_id) == (0, 1) and tok.special_ids == (0, 1)
    ids = tok.encode("hello")
    assert tok.decode(ids) == "hello" and tok.decode(torch.tensor(ids)) == "hello"
    assert tok.encode("hez") == tok.encode("he") + [tok.unk_id]
    assert tok.tokens("lo") == ["l", "o"]
    with pytest.raises(ValueError, match=r"\[0, "):
        tok.decode([tok.vocab_size])


def test_bpe_round_trips_unseen_text_and_compresses_it(cache, corpus_text):
    train, val = split_corpus(corpus_text)
    tok = train_bpe(train, vocab_size=512)
    assert tok.vocab_size == 512 and tok.special_ids == (0, 1)
    sample = val[:5000] + " Ünïcödé ✓ and tabs\t"
    assert tok.decode(tok.encode(sample)) == sample  # byte level: nothing is unknown
    assert len(tok.encode(val)) < 0.45 * len(val)  # merges pay off: fewer tokens than characters
    assert "".join(tok.tokens("The if statement")) == "The if statement"
    assert tok.decode([tok.mask_id]) == "<mask>"


def test_bpe_training_is_deterministic_and_cached(cache, corpus_text, monkeypatch):
    train = corpus_text[:60_000]
    first = train_bpe(train, vocab_size=400, cache=False)
    again = train_bpe(train, vocab_size=400, cache=False)
    assert first.tokenizer.to_str() == again.tokenizer.to_str()

    cached = train_bpe(train, vocab_size=400)
    files = list(cache.glob("bpe-400-*.json"))
    assert len(files) == 1 and cached.tokenizer.to_str() == first.tokenizer.to_str()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached tokenizer should have been loaded")

    monkeypatch.setattr(BPETokenizer, "train", no_training)
    assert train_bpe(train, vocab_size=400).tokenizer.to_str() == first.tokenizer.to_str()
    with pytest.raises(AssertionError):  # another text has another cache entry
        train_bpe(train + "more", vocab_size=400)


def test_a_corrupt_cache_file_is_replaced(cache, corpus_text):
    train = corpus_text[:30_000]
    train_bpe(train, vocab_size=300)
    (path,) = cache.glob("bpe-300-*.json")
    path.write_text("{not json")
    tok = train_bpe(train, vocab_size=300)
    assert tok.vocab_size == 300
    assert BPETokenizer.load(path).vocab_size == 300


def test_bpe_rejects_a_vocabulary_without_room_for_merges():
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train(["abc"], vocab_size=200)


def test_load_text_corpus_bpe_and_char(cache):
    corpus = load_text_corpus("bpe", vocab_size=512)
    assert corpus.train_ids.dtype == torch.long and corpus.train_ids.dim() == 1
    assert int(corpus.train_ids.max()) < 512
    assert (corpus.tokenizer.decode(corpus.val_ids[:200])
            == corpus.val_text[:len(corpus.tokenizer.decode(corpus.val_ids[:200]))])
    chars = load_text_corpus("char")
    assert isinstance(chars.tokenizer, CharTokenizer)
    assert len(chars.train_ids) == len(chars.train_text)
    assert "TextCorpus(CharTokenizer" in repr(chars)
    with pytest.raises(ValueError, match="kind"):
        load_text_corpus("words")


def test_falls_back_to_characters_without_tokenizers(cache, monkeypatch):
    def missing(*args, **kwargs):
        raise ImportError("no tokenizers here")

    monkeypatch.setattr(utils.data.pydoc, "train_bpe", missing)
    with pytest.warns(UserWarning, match="falling back to characters"):
        corpus = load_text_corpus("bpe")
    assert isinstance(corpus.tokenizer, CharTokenizer)


# -------------------------------------------------------------------------------- next-token batches

def test_blocks_at_matches_slicing():
    data = torch.arange(100, 150)
    x, y = blocks_at(data, torch.tensor([0, 7, 40]), 9)
    for row, s in enumerate([0, 7, 40]):
        assert x[row].tolist() == list(range(100 + s, 109 + s))
        assert y[row].tolist() == list(range(101 + s, 110 + s))
    with pytest.raises(ValueError, match=r"\[0, 40\]"):
        blocks_at(data, torch.tensor([41]), 9)
    with pytest.raises(ValueError, match="1-D torch.long"):
        blocks_at(data.float(), torch.tensor([0]), 9)
    with pytest.raises(ValueError, match="at least 11"):
        blocks_at(torch.arange(10), torch.tensor([0]), 10)


def test_get_batch_targets_are_inputs_shifted_by_one():
    data = torch.randint(0, 1000, (500,))
    x, y = get_batch(data, 16, 64, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (64, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])
    text_ = data.tolist()
    for row in range(64):  # every block is a real window of the data
        first = x[row, 0].item()
        starts = [i for i, t in enumerate(text_[:-16]) if t == first]
        assert any(text_[s:s + 17] == x[row].tolist() + [y[row, -1].item()] for s in starts)
    again = get_batch(data, 16, 64, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], x)
    batches = lm_batches(data, 16, 8, seed=5)
    assert not torch.equal(batches()[0], batches()[0])


def test_lm_loss_and_evaluate_lm_match_a_brute_force_loop():
    torch.manual_seed(0)
    vocab = 7
    table = torch.randn(vocab, vocab)
    model = torch.nn.Embedding(vocab, vocab)  # a bigram model: logits depend on the current token only
    model.weight.data.copy_(table)
    data = torch.randint(0, vocab, (103,))
    x, y = blocks_at(data, torch.tensor([0, 50]), 10)
    expected = sum(-F.log_softmax(table[a], -1)[b] for a, b in zip(x.flatten(), y.flatten())) / y.numel()
    torch.testing.assert_close(lm_loss(model, (x, y)), expected)

    block = 10  # evaluate_lm: the non-overlapping blocks 0-9, 10-19, ..., 90-99 (targets up to 100)
    pairs = [(data[i], data[i + 1]) for i in range(100)]
    brute = sum(-F.log_softmax(table[a], -1)[b].item() for a, b in pairs) / len(pairs)
    assert math.isclose(evaluate_lm(model, data, block, batch_size=3), brute, rel_tol=1e-5)


def test_unigram_cross_entropy_matches_counting():
    train = torch.tensor([0, 0, 1, 2, 2, 2])
    val = torch.tensor([0, 2, 3])
    counts = collections.Counter(train.tolist())
    total = len(train) + 4  # add-one smoothing over a vocabulary of 4
    expected = -sum(math.log((counts[t] + 1) / total) for t in val.tolist()) / 3
    assert math.isclose(unigram_cross_entropy(train, val, 4), expected, rel_tol=1e-9)


# -------------------------------------------------------------------------------- masking

def test_mask_tokens_follows_the_80_10_10_rule():
    vocab, mask_id, specials = 1000, 1, (0, 1, 2)
    tokens = torch.randint(3, vocab, (400, 500))
    tokens[:, ::50] = 2  # some special tokens, which are never chosen
    inputs, labels = mask_tokens(tokens, mask_id, vocab, 0.15, specials, torch.Generator().manual_seed(0))
    chosen = labels != IGNORE_INDEX
    assert torch.equal(labels[chosen], tokens[chosen])
    assert torch.equal(inputs[~chosen], tokens[~chosen]), "unchosen positions are left alone"
    assert not chosen[tokens == 2].any()
    eligible = (tokens != 2).sum().item()
    assert abs(chosen.sum().item() / eligible - 0.15) < 0.005
    n = chosen.sum().item()
    masked = (inputs == mask_id) & chosen
    kept = (inputs == tokens) & chosen
    replaced = chosen & ~masked & ~kept
    # a random replacement can draw the original token (1 in 997): it then counts as kept
    assert abs(masked.sum().item() / n - 0.8) < 0.01
    assert abs(replaced.sum().item() / n - 0.1) < 0.01
    assert abs(kept.sum().item() / n - 0.1) < 0.01
    assert not torch.isin(inputs[replaced], torch.tensor(specials)).any()
    assert len(inputs[replaced].unique()) > 900, "replacements are spread over the vocabulary"


def test_mask_tokens_is_repeatable_and_checks_its_input():
    tokens = torch.randint(2, 50, (4, 30))
    a = mask_tokens(tokens, 1, 50, generator=torch.Generator().manual_seed(1))
    b = mask_tokens(tokens, 1, 50, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    inputs, labels = mask_tokens(tokens, 1, 50, mask_prob=1.0, generator=torch.Generator().manual_seed(1))
    assert (labels == tokens).all()
    _, labels = mask_tokens(tokens, 1, 50, mask_prob=0.0)
    assert (labels == IGNORE_INDEX).all()
    with pytest.raises(ValueError, match="torch.long"):
        mask_tokens(tokens.int(), 1, 50)
    with pytest.raises(ValueError, match="mask_prob"):
        mask_tokens(tokens, 1, 50, mask_prob=1.5)
    with pytest.raises(ValueError, match=r"\[0, 50\)"):
        mask_tokens(tokens + 50, 1, 50)


def test_mask_tokens_agrees_with_hugging_face_statistics():
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models

    vocab = {f"t{i}": i for i in range(300)} | {"[MASK]": 300, "[PAD]": 301}
    hf_tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(models.WordLevel(vocab, unk_token="t0")),
        mask_token="[MASK]", pad_token="[PAD]")
    collator = transformers.DataCollatorForLanguageModeling(hf_tok, mlm_probability=0.15, return_tensors="pt")
    torch.manual_seed(0)
    tokens = torch.randint(0, 300, (200, 200))
    hf = collator.torch_mask_tokens(tokens.clone())
    ours = mask_tokens(tokens, 300, 302, 0.15, (300, 301), torch.Generator().manual_seed(0))
    for (inputs, labels) in (hf, ours):
        chosen = labels != -100
        assert abs(chosen.float().mean().item() - 0.15) < 0.01
        assert abs((inputs[chosen] == 300).float().mean().item() - 0.8) < 0.02


def test_mlm_loss_scores_only_the_chosen_positions():
    torch.manual_seed(0)
    model = torch.nn.Embedding(10, 10)
    inputs = torch.randint(0, 10, (3, 8))
    labels = torch.full((3, 8), IGNORE_INDEX)
    labels[0, 2], labels[2, 5] = 4, 7
    logits = model.weight[inputs]
    expected = (-F.log_softmax(logits[0, 2], -1)[4] - F.log_softmax(logits[2, 5], -1)[7]) / 2
    torch.testing.assert_close(mlm_loss(model, (inputs, labels)), expected)


def test_mlm_loss_on_a_masked_lm_computes_only_the_chosen_logits():
    from utils.bert import MaskedLM

    model = MaskedLM(40, 12, d_model=16, num_heads=2, num_layers=1, d_ff=32)
    inputs, labels = mask_tokens(torch.randint(2, 40, (3, 12)), 1, 40, 0.3, (0, 1), torch.Generator().manual_seed(0))
    full = F.cross_entropy(model(inputs).flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
    torch.testing.assert_close(mlm_loss(model, (inputs, labels)), full)
