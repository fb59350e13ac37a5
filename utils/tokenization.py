"""Tokenizers: every tokenizer of the course behind one protocol, with the special tokens named once.

The protocol: `encode(text) -> list[int]`, `decode(ids) -> str`, `len(tokenizer)` (the vocabulary size), and
the ids of whichever special tokens a tokenizer has as attributes (`pad_id`, `bos_id`, `eos_id`, `unk_id`,
`mask_id`, `cls_id`). Each tokenizer keeps its own order of special tokens, because shipped checkpoints
depend on those ids; only the token strings are shared.
"""
from typing import Optional

import torch
import torch.nn.functional as F

from .batching import pad_batch

# The special tokens, named once for every tokenizer of the course.
PAD, BOS, EOS, UNK, MASK, CLS = "<pad>", "<bos>", "<eos>", "<unk>", "<mask>", "<cls>"

# --- Characters and byte-level BPE for the language models of lesson 05 (moved here from text.py) ---------


# --- Words for the French -> English translator of lesson 04 (moved here from data/french.py) --------------


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
