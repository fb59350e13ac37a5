"""Tokenizers: every tokenizer of the course behind one protocol, with the special tokens named once.

The protocol: `encode(text) -> list[int]`, `decode(ids) -> str`, `len(tokenizer)` (the vocabulary size), and
the ids of whichever special tokens a tokenizer has as attributes (`pad_id`, `bos_id`, `eos_id`, `unk_id`,
`mask_id`, `cls_id`). Each tokenizer keeps its own order of special tokens, because shipped checkpoints
depend on those ids; only the token strings are shared.
"""
import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Optional

import torch
import torch.nn.functional as F

from .batching import pad_batch
from .runtime import cache_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# The special tokens, named once for every tokenizer of the course.
PAD, BOS, EOS, UNK, MASK, CLS = "<pad>", "<bos>", "<eos>", "<unk>", "<mask>", "<cls>"

# --- Characters and byte-level BPE for the language models of lesson 05 (moved here from text.py) ---------

# The special tokens of CharTokenizer and BPETokenizer, in id order: <unk> = 0, <mask> = 1.
TEXT_SPECIALS = (UNK, MASK)


def _as_id_list(ids: Iterable[int] | torch.Tensor, vocab_size: int) -> list[int]:
    if torch.is_tensor(ids):
        if ids.dim() > 1:
            raise ValueError(f"decode takes one sequence of ids, got a tensor of shape {tuple(ids.shape)}")
        ids = ids.tolist()
    ids = [int(i) for i in ids]
    bad = [i for i in ids if not 0 <= i < vocab_size]
    if bad:
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got {bad[:5]}")
    return ids


class CharTokenizer:
    """One token per character: <unk> and <mask> first, then every character of `text`, sorted.

    Characters never seen in `text` become <unk>. encode(str) -> list of ids, decode(ids) -> str.
    """

    kind = "char"

    def __init__(self, text: str):
        chars = sorted(set(text) - set(TEXT_SPECIALS))
        self.itos = list(TEXT_SPECIALS) + chars
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.unk_id, self.mask_id = self.stoi[UNK], self.stoi[MASK]
        self.special_ids = (self.unk_id, self.mask_id)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return self.vocab_size

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(ch, self.unk_id) for ch in text]

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        return "".join(self.itos[i] for i in _as_id_list(ids, self.vocab_size))

    def tokens(self, text: str) -> list[str]:
        """The pieces `text` is cut into, as strings (for display)."""
        return [self.itos[i] for i in self.encode(text)]

    def id_to_token(self, i: int) -> str:
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

    def __init__(self, tokenizer: "Tokenizer"):
        self.tokenizer = tokenizer
        self.unk_id, self.mask_id = tokenizer.token_to_id(UNK), tokenizer.token_to_id(MASK)
        if self.unk_id is None or self.mask_id is None:
            raise ValueError(f"a BPETokenizer needs the special tokens {TEXT_SPECIALS} in its vocabulary")
        self.special_ids = (self.unk_id, self.mask_id)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 2048) -> "BPETokenizer":
        """Learn `vocab_size` tokens (256 bytes, the 2 specials and the merges) from an iterable of str."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # optional package

        base = 256 + len(TEXT_SPECIALS)
        if vocab_size <= base:
            raise ValueError(f"vocab_size must exceed {base} (every byte plus {TEXT_SPECIALS}), got {vocab_size}")
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=list(TEXT_SPECIALS), show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, even unseen ones
        )
        tokenizer.train_from_iterator(texts, trainer)
        return cls(tokenizer)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "BPETokenizer":
        from tokenizers import Tokenizer  # optional package

        return cls(Tokenizer.from_file(str(path)))

    def save(self, path: str | os.PathLike) -> None:
        self.tokenizer.save(str(path))

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def __len__(self) -> int:
        return self.vocab_size

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        # Keep <mask> and <unk> visible: a fill-in-the-blank demo wants to show where the blank is.
        return self.tokenizer.decode(_as_id_list(ids, self.vocab_size), skip_special_tokens=False)

    def tokens(self, text: str) -> list[str]:
        """The pieces `text` is cut into, each decoded back to readable text (for display)."""
        return [self.decode([i]) for i in self.encode(text)]

    def id_to_token(self, i: int) -> str:
        return self.decode([i])

    def __repr__(self):
        return f"BPETokenizer(vocab_size={self.vocab_size})"


def train_bpe(train_text: str, vocab_size: int = 2048, cache: bool = True) -> BPETokenizer:
    """A BPETokenizer trained on `train_text`, read from the cache when it was trained before.

    The cache file name holds a hash of the text and the settings, so a different corpus (another
    Python version's help pages) or vocabulary size never picks up a stale tokenizer.
    """
    import tokenizers  # optional package: load_text_corpus falls back to characters without it

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


# --- Words for the French -> English translator of lesson 04 (moved here from data/french.py) --------------

# The special tokens of Vocab, in id order: <pad> = 0, <bos> = 1, <eos> = 2, <unk> = 3.
WORD_SPECIALS = (PAD, BOS, EOS, UNK)


def tokenize(sentence: str) -> list[str]:
    """Words are separated by spaces; the corpus has no punctuation and no capitals."""
    return sentence.lower().split()


class Vocab:
    """A word-level vocabulary: <pad>=0, <bos>=1, <eos>=2, <unk>=3, then the words sorted."""

    pad_id, bos_id, eos_id, unk_id = range(len(WORD_SPECIALS))

    def __init__(self, sentences: Iterable[str]):
        words = sorted({word for s in sentences for word in tokenize(s)} - set(WORD_SPECIALS))
        self.itos = list(WORD_SPECIALS) + words  # id -> word
        self.stoi = {word: i for i, word in enumerate(self.itos)}  # word -> id

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self):
        return f"Vocab({len(self)} tokens: {' '.join(self.itos[4:12])} ...)"

    def encode(self, sentence: str) -> list[int]:
        """'le chat' -> [ids]; words never seen become <unk>. No <bos>/<eos> are added."""
        return [self.stoi.get(word, self.unk_id) for word in tokenize(sentence)]

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        """[ids] (a list or a 1-D tensor) -> 'the cat'; stops at <eos>, skips <pad> and <bos>."""
        words = []
        for i in (ids.tolist() if torch.is_tensor(ids) else ids):
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                words.append(self.itos[i])
        return " ".join(words)


# --- Characters for speech and words for captions, lesson 07 (moved here from audio.py, contrastive.py) ----


class CharVocab:
    """Characters <-> ids for transcripts: <pad> = 0, <bos> = 1 (starts every transcript), <eos> = 2 (ends it)."""

    pad_id, bos_id, eos_id = 0, 1, 2

    def __init__(self, chars: str = "0123456789"):
        self.itos = [PAD, BOS, EOS] + list(chars)
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, texts: list) -> tuple:
        """B strings -> (inputs, targets), both (B, L) long: inputs = <bos> + text, targets = text + <eos>,
        padded with <pad>. The decoder reads inputs and learns to predict targets (teacher forcing)."""
        if isinstance(texts, str):
            raise ValueError("encode expects a list of strings, got one string; wrap it in a list")
        unknown = {c for text in texts for c in text} - set(self.stoi)
        if unknown:
            raise ValueError(f"characters {sorted(unknown)} are not in the vocabulary {self.itos[3:]}")
        ids = [[self.stoi[c] for c in text] for text in texts]
        inputs, _ = pad_batch([[self.bos_id] + row for row in ids], self.pad_id)
        targets, _ = pad_batch([row + [self.eos_id] for row in ids], self.pad_id)
        return inputs, targets

    def decode(self, ids: torch.Tensor) -> str:
        """(L,) ids -> the text up to the first <eos>, without specials."""
        out = []
        for i in ids.tolist():
            if i == self.eos_id:
                break
            if i > self.eos_id:
                out.append(self.itos[i])
        return "".join(out)


class WordTokenizer:
    """Lower-case words -> ids, with <pad> = 0, <cls> = 1 (put in front of every text), <unk> = 2."""

    pad_id, cls_id, unk_id = 0, 1, 2

    def __init__(self, texts: list):
        words = sorted({word for text in texts for word in text.lower().split()})
        self.itos = [PAD, CLS, UNK] + words
        self.stoi = {word: i for i, word in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, texts: list, length: Optional[int] = None) -> torch.Tensor:
        """A list of B strings -> (B, L) long ids: <cls>, the words, then <pad> up to L
        (by default the longest text). A word never seen when the tokenizer was built becomes <unk>."""
        if isinstance(texts, str):
            raise ValueError("encode expects a list of strings, got one string; wrap it in a list")
        rows = [[self.cls_id] + [self.stoi.get(w, self.unk_id) for w in text.lower().split()] for text in texts]
        longest = max((len(r) for r in rows), default=1)
        length = longest if length is None else length
        if longest > length:
            raise ValueError(f"a text has {longest - 1} words, more than length - 1 = {length - 1}")
        if not rows:
            return torch.empty(0, length, dtype=torch.long)
        ids, _ = pad_batch(rows, self.pad_id)
        return F.pad(ids, (0, length - ids.size(1)), value=self.pad_id)  # (B, length)

    def decode(self, ids: torch.Tensor) -> str:
        """(L,) ids -> the words, without <cls> and <pad>."""
        return " ".join(self.itos[i] for i in ids.tolist() if i not in (self.pad_id, self.cls_id))
