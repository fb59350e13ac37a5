"""Checks of lesson 05's exercises (next-token pairs, masks, a KV-cache step, masking for BERT).

Checks of lesson 05's exercises: next-token pairs, causal and bidirectional masks, one KV-cache step,
temperature and top-k, BERT's 80/10/10 masking rule."""
from . import gpt, mlm  # noqa: F401  (registers the exercises)
