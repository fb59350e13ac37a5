"""Tokenizers: every tokenizer of the course behind one protocol, with the special tokens named once.

The protocol: `encode(text) -> list[int]`, `decode(ids) -> str`, `len(tokenizer)` (the vocabulary size), and
the ids of whichever special tokens a tokenizer has as attributes (`pad_id`, `bos_id`, `eos_id`, `unk_id`,
`mask_id`, `cls_id`). Each tokenizer keeps its own order of special tokens, because shipped checkpoints
depend on those ids; only the token strings are shared.
"""

# The special tokens, named once for every tokenizer of the course.
PAD, BOS, EOS, UNK, MASK, CLS = "<pad>", "<bos>", "<eos>", "<unk>", "<mask>", "<cls>"

# --- Characters and byte-level BPE for the language models of lesson 05 (moved here from text.py) ---------


# --- Words for the French -> English translator of lesson 04 (moved here from data/french.py) --------------


# --- Characters for speech and words for captions, lesson 07 (moved here from audio.py, contrastive.py) ----
