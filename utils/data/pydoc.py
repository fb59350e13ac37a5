"""The pydoc corpus: Python's own help pages as an English text that needs no download, split and tokenized.

The corpus is the text of Python's help pages (``help("if")``, ``help("with")``, ...), which every CPython
installs as ``pydoc_data.topics``: about 465 KB of English prose about Python.

    corpus = load_text_corpus()              # BPE by default; kind="char" for characters
    x, y = utils.get_batch(corpus.train_ids, block_size=64, batch_size=32)    # y is x shifted by one

The byte-level BPE tokenizer (utils.tokenization.train_bpe, on Hugging Face ``tokenizers``) trains on the
training split in well under a second and is cached as JSON under ``~/.cache/transformers-course`` (or the
folder named by the environment variable ``TRANSFORMERS_COURSE_CACHE``). If ``tokenizers`` is missing,
``load_text_corpus`` falls back to the character-level tokenizer, which needs nothing at all.
"""
import warnings
from dataclasses import dataclass

import torch

from ..tokenization import BPETokenizer, CharTokenizer, train_bpe


def load_corpus() -> str:
    """The text of every pydoc help topic, in alphabetical order of topic, one blank line apart."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics))


def split_corpus(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
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


@dataclass
class TextCorpus:
    """The split corpus, its tokenizer, and both splits as 1-D tensors of token ids."""

    tokenizer: BPETokenizer | CharTokenizer
    train_text: str
    val_text: str
    train_ids: torch.Tensor
    val_ids: torch.Tensor

    def __repr__(self):
        return (f"TextCorpus({self.tokenizer!r}, train: {len(self.train_text):,} characters -> "
                f"{len(self.train_ids):,} tokens, validation: {len(self.val_text):,} characters -> "
                f"{len(self.val_ids):,} tokens)")


def load_text_corpus(kind: str = "bpe", vocab_size: int = 2048, val_fraction: float = 0.1,
                     cache: bool = True) -> TextCorpus:
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
