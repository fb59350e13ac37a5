"""An English corpus that needs no download, its tokenizers, and batches for language models.

The corpus is the text of Python's own help pages (``help("if")``, ``help("with")``, ...), which
every CPython installs as ``pydoc_data.topics``: about 465 KB of English prose about Python.

    corpus = load_text_corpus()              # BPE by default; kind="char" for characters
    x, y = get_batch(corpus.train_ids, block_size=64, batch_size=32)    # y is x shifted by one
    inputs, labels = mask_tokens(x, corpus.tokenizer.mask_id, corpus.tokenizer.vocab_size,
                                 special_ids=corpus.tokenizer.special_ids)  # BERT's 80/10/10 rule

The byte-level BPE tokenizer (Hugging Face ``tokenizers``) trains on the training split in well
under a second and is cached as JSON under ``~/.cache/transformers-course`` (or the folder named
by the environment variable ``TRANSFORMERS_COURSE_CACHE``). Its training is deterministic: the same
corpus and settings give the same merges. If ``tokenizers`` is missing, ``load_text_corpus`` falls
back to the character-level tokenizer, which needs nothing at all.
"""
import hashlib
import math
import os
import tempfile
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .runtime import cache_dir, eval_mode

UNK, MASK = "<unk>", "<mask>"
SPECIALS = (UNK, MASK)  # ids 0 and 1 in both tokenizers
IGNORE_INDEX = -100  # label of a position that the loss skips (F.cross_entropy's default)

# ----------------------------------------------------------------------------------------------
# The corpus and its split
# ----------------------------------------------------------------------------------------------


def load_corpus():
    """The text of every pydoc help topic, in alphabetical order of topic, one blank line apart."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics))


def split_corpus(text, val_fraction=0.1):
    """-> (train, validation): the last `val_fraction` of the text, cut at a blank line.

    A contiguous cut (not a random choice of lines) keeps validation text unseen as a whole,
    so the validation loss measures generalisation and not memorised neighbouring sentences.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    target = int(len(text) * (1 - val_fraction))
    cut = text.find("\n\n", target)
    if cut == -1:  # no paragraph break after the target: cut exactly there
        cut = target
    train, val = text[:cut], text[cut:].lstrip("\n")
    if not train or not val:
        raise ValueError(f"text of {len(text)} characters is too short to split into train and validation")
    return train, val


# ----------------------------------------------------------------------------------------------
# Tokenizers: the same small interface for characters and for BPE
# ----------------------------------------------------------------------------------------------


class CharTokenizer:
    """One token per character: <unk> and <mask> first, then every character of `text`, sorted.

    Characters never seen in `text` become <unk>. encode(str) -> list of ids, decode(ids) -> str.
    """

    kind = "char"

    def __init__(self, text):
        chars = sorted(set(text) - set(SPECIALS))
        self.itos = list(SPECIALS) + chars
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.unk_id, self.mask_id = self.stoi[UNK], self.stoi[MASK]
        self.special_ids = (self.unk_id, self.mask_id)

    @property
    def vocab_size(self):
        return len(self.itos)

    def encode(self, text):
        return [self.stoi.get(ch, self.unk_id) for ch in text]

    def decode(self, ids):
        return "".join(self.itos[i] for i in _as_id_list(ids, self.vocab_size))

    def tokens(self, text):
        """The pieces `text` is cut into, as strings (for display)."""
        return [self.itos[i] for i in self.encode(text)]

    def id_to_token(self, i):
        return self.itos[i]

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"


class BPETokenizer:
    """Byte-level BPE (the GPT-2 scheme) around a Hugging Face ``tokenizers.Tokenizer``.

    Every string is first turned into bytes, so nothing is ever unknown and decode(encode(s)) == s.
    Frequent byte sequences are merged into single tokens: common words become one token each,
    rare words a few pieces. Spaces travel with the word that follows them (shown as 'Ġ').
    """

    kind = "bpe"

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.unk_id, self.mask_id = tokenizer.token_to_id(UNK), tokenizer.token_to_id(MASK)
        if self.unk_id is None or self.mask_id is None:
            raise ValueError(f"a BPETokenizer needs the special tokens {SPECIALS} in its vocabulary")
        self.special_ids = (self.unk_id, self.mask_id)

    @classmethod
    def train(cls, texts, vocab_size=2048):
        """Learn `vocab_size` tokens (256 bytes, the 2 specials and the merges) from an iterable of str."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        base = 256 + len(SPECIALS)
        if vocab_size <= base:
            raise ValueError(f"vocab_size must exceed {base} (every byte plus {SPECIALS}), got {vocab_size}")
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=list(SPECIALS), show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, even unseen ones
        )
        tokenizer.train_from_iterator(texts, trainer)
        return cls(tokenizer)

    @classmethod
    def load(cls, path):
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(path)))

    def save(self, path):
        self.tokenizer.save(str(path))

    @property
    def vocab_size(self):
        return self.tokenizer.get_vocab_size()

    def encode(self, text):
        return self.tokenizer.encode(text).ids

    def decode(self, ids):
        # Keep <mask> and <unk> visible: a fill-in-the-blank demo wants to show where the blank is.
        return self.tokenizer.decode(_as_id_list(ids, self.vocab_size), skip_special_tokens=False)

    def tokens(self, text):
        """The pieces `text` is cut into, each decoded back to readable text (for display)."""
        return [self.decode([i]) for i in self.encode(text)]

    def id_to_token(self, i):
        return self.decode([i])

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size})"


def _as_id_list(ids, vocab_size):
    if torch.is_tensor(ids):
        if ids.dim() > 1:
            raise ValueError(f"decode takes one sequence of ids, got a tensor of shape {tuple(ids.shape)}")
        ids = ids.tolist()
    ids = [int(i) for i in ids]
    bad = [i for i in ids if not 0 <= i < vocab_size]
    if bad:
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got {bad[:5]}")
    return ids


def train_bpe(train_text, vocab_size=2048, cache=True):
    """A BPETokenizer trained on `train_text`, read from the cache when it was trained before.

    The cache file name holds a hash of the text and the settings, so a different corpus (another
    Python version's help pages) or vocabulary size never picks up a stale tokenizer.
    """
    import tokenizers

    key = hashlib.sha256(f"{tokenizers.__version__}|{vocab_size}|{train_text}".encode()).hexdigest()[:16]
    path = cache_dir() / f"bpe-{vocab_size}-{key}.json"
    if cache and path.is_file():
        try:
            return BPETokenizer.load(path)
        except Exception:  # a truncated or foreign file: train again and overwrite it
            pass
    # Train on paragraphs, not on the whole text at once, so that the pre-tokenizer sees natural
    # units; the order is fixed, and the trainer breaks ties deterministically.
    tokenizer = BPETokenizer.train(train_text.split("\n\n"), vocab_size)
    if cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write to a temporary file then rename: a reader never sees half a file.
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
                tmp.write(tokenizer.tokenizer.to_str())
            os.replace(tmp.name, path)
        except OSError as err:  # a read-only home: work without the cache
            warnings.warn(f"could not cache the tokenizer in {path.parent}: {err}")
    return tokenizer


@dataclass
class TextCorpus:
    """The split corpus, its tokenizer, and both splits as 1-D tensors of token ids."""

    tokenizer: object
    train_text: str
    val_text: str
    train_ids: torch.Tensor
    val_ids: torch.Tensor

    def __repr__(self):
        return (f"TextCorpus({self.tokenizer!r}, train: {len(self.train_text):,} characters -> "
                f"{len(self.train_ids):,} tokens, validation: {len(self.val_text):,} characters -> "
                f"{len(self.val_ids):,} tokens)")


def load_text_corpus(kind="bpe", vocab_size=2048, val_fraction=0.1, cache=True):
    """The pydoc corpus, split, tokenized with `kind` ("bpe" or "char"), ready for get_batch.

    The BPE tokenizer learns from the training split only. The character tokenizer takes its
    alphabet from the whole text (an alphabet is not a statistic the model could overfit).
    """
    if kind not in ("bpe", "char"):
        raise ValueError(f"kind must be 'bpe' or 'char', got {kind!r}")
    text = load_corpus()
    train_text, val_text = split_corpus(text, val_fraction)
    tokenizer = None
    if kind == "bpe":
        try:
            tokenizer = train_bpe(train_text, vocab_size, cache=cache)
        except ImportError:
            warnings.warn("the `tokenizers` package is missing: falling back to characters")
    if tokenizer is None:
        tokenizer = CharTokenizer(text)

    def ids(t):
        return torch.tensor(tokenizer.encode(t), dtype=torch.long)

    return TextCorpus(tokenizer, train_text, val_text, ids(train_text), ids(val_text))


# ----------------------------------------------------------------------------------------------
# Next-token batches (decoder-only language models)
# ----------------------------------------------------------------------------------------------


def _check_data(data, block_size):
    if not torch.is_tensor(data) or data.dim() != 1 or data.dtype != torch.long:
        what = f"shape {tuple(data.shape)}, dtype {data.dtype}" if torch.is_tensor(data) else type(data).__name__
        raise ValueError(f"data must be a 1-D torch.long tensor of token ids, got {what}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    if len(data) < block_size + 1:
        raise ValueError(f"data has {len(data)} tokens; a block of {block_size} needs at least {block_size + 1}")


def blocks_at(data, starts, block_size):
    """Inputs and next-token targets for the blocks that start at `starts`.

    data (N,) token ids, starts (B,) -> x (B, block_size) = data[s : s + T],
    y (B, block_size) = data[s + 1 : s + T + 1]: y[b, t] is the token that follows x[b, t].
    """
    _check_data(data, block_size)
    starts = torch.as_tensor(starts, dtype=torch.long)
    if starts.dim() != 1:
        raise ValueError(f"starts must be a 1-D tensor of offsets, got shape {tuple(starts.shape)}")
    if len(starts) and (starts.min() < 0 or starts.max() > len(data) - block_size - 1):
        raise ValueError(
            f"block starts must lie in [0, {len(data) - block_size - 1}] for {len(data)} tokens "
            f"and block_size {block_size}, got min {int(starts.min())}, max {int(starts.max())}"
        )
    offsets = starts[:, None] + torch.arange(block_size + 1)  # (B, T + 1)
    chunk = data[offsets]
    return chunk[:, :-1], chunk[:, 1:]


def get_batch(data, block_size, batch_size, generator=None, device=None):
    """`batch_size` blocks at random offsets -> x, y, both (batch_size, block_size) on `device`."""
    _check_data(data, block_size)
    starts = torch.randint(0, len(data) - block_size, (batch_size,), generator=generator)
    x, y = blocks_at(data, starts, block_size)
    return x.to(device), y.to(device)


def lm_batches(data, block_size, batch_size, seed=0, device=None):
    """A zero-argument function returning the next random (x, y) batch, for utils.train.

    It owns its random generator, so the batches are the same for the same seed whatever
    else the notebook draws from torch's global generator.
    """
    generator = torch.Generator().manual_seed(seed)
    return lambda: get_batch(data, block_size, batch_size, generator, device)


def lm_loss(model, batch):
    """Mean cross-entropy of predicting every next token: model(x) (B, T, V) against y (B, T)."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))


@torch.no_grad()
def evaluate_lm(model, data, block_size, batch_size=64, max_blocks=None):
    """Mean next-token cross-entropy (nats per token) over consecutive, non-overlapping blocks of
    `data`: a fixed set of blocks, so two calls on the same model give the same number."""
    _check_data(data, block_size)
    starts = torch.arange(0, len(data) - block_size, block_size)
    if max_blocks is not None:
        starts = starts[:max_blocks]
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with eval_mode(model):
        for chunk in starts.split(batch_size):
            x, y = blocks_at(data, chunk, block_size)
            logits = model(x.to(device))
            total += F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten(), reduction="sum").item()
            count += y.numel()
    return total / count


def unigram_cross_entropy(train_ids, eval_ids, vocab_size, smoothing=1.0):
    """Nats per token of the best model that ignores context: it predicts every token with its
    frequency in `train_ids` (add-`smoothing` so that unseen tokens are not infinitely surprising).

    A language model that cannot beat this number has learned nothing about word order.
    """
    counts = torch.bincount(train_ids, minlength=vocab_size).double() + smoothing
    log_probs = counts.log() - counts.sum().log()
    return -log_probs[eval_ids].mean().item()


# ----------------------------------------------------------------------------------------------
# Masked language modelling (encoder-only models, BERT's objective)
# ----------------------------------------------------------------------------------------------


def mask_tokens(tokens, mask_id, vocab_size, mask_prob=0.15, special_ids=(), generator=None):
    """BERT's masking rule -> (inputs, labels), both shaped like `tokens`.

    Each position that is not a special token is chosen with probability `mask_prob`. A chosen
    position's label is its original token; every other label is IGNORE_INDEX (-100), so the loss
    only scores chosen positions. Of the chosen inputs, 80% become <mask>, 10% a random regular
    token, 10% stay as they are: the model cannot tell which inputs are intact, so it must build a
    good representation of every token, and it is not thrown by never seeing <mask> at test time.
    """
    if tokens.dtype != torch.long:
        raise ValueError(f"tokens must be a torch.long tensor of ids, got dtype {tokens.dtype}")
    if not 0 <= mask_prob <= 1:
        raise ValueError(f"mask_prob must lie in [0, 1], got {mask_prob}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must lie in [0, vocab_size={vocab_size}), got {mask_id}")
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(
            f"token ids must lie in [0, {vocab_size}), got min {int(tokens.min())}, max {int(tokens.max())}"
        )
    device = tokens.device
    special = torch.zeros(vocab_size, dtype=torch.bool)
    special[list(special_ids)] = True
    regular_ids = (~special).nonzero().squeeze(1).to(device)  # what a random replacement draws from

    def uniform():  # drawn on the CPU, so a seeded generator gives the same masks on every device
        return torch.rand(tokens.shape, generator=generator).to(device)

    chosen = (uniform() < mask_prob) & ~special.to(device)[tokens]
    labels = tokens.masked_fill(~chosen, IGNORE_INDEX)
    action = uniform()
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    random_tokens = regular_ids[torch.randint(len(regular_ids), tokens.shape, generator=generator).to(device)]
    inputs = tokens.masked_fill(to_mask, mask_id)
    inputs = torch.where(to_random, random_tokens, inputs)
    return inputs, labels


def mlm_batches(data, block_size, batch_size, tokenizer, mask_prob=0.15, seed=0, device=None):
    """A zero-argument function returning the next (inputs, labels) masked batch, for utils.train."""
    generator = torch.Generator().manual_seed(seed)

    def next_batch():
        x, _ = get_batch(data, block_size, batch_size, generator)
        inputs, labels = mask_tokens(x, tokenizer.mask_id, tokenizer.vocab_size, mask_prob,
                                     tokenizer.special_ids, generator)
        return inputs.to(device), labels.to(device)

    return next_batch


def mlm_loss(model, batch):
    """Cross-entropy at the chosen positions only (labels == IGNORE_INDEX elsewhere).

    A model with `hidden` and `lm_head` (utils.MaskedLM) gets its output layer applied to the chosen
    positions alone, as BERT implementations do: the other positions' logits would be thrown away,
    and with a large vocabulary they are a good part of the work.
    """
    inputs, labels = batch
    if hasattr(model, "hidden") and hasattr(model, "lm_head"):
        chosen = labels != IGNORE_INDEX  # (B, T)
        logits = model.lm_head(model.hidden(inputs)[chosen])  # (n_chosen, V)
        return F.cross_entropy(logits, labels[chosen])
    logits = model(inputs)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def perplexity(nats):
    """exp(cross-entropy): the number of equally likely tokens the model is as unsure as."""
    return math.exp(nats)
