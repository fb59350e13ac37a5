"""Checks of lesson 08's exercises (BPE, RMSNorm, SwiGLU, RoPE, GQA, top-p, schedule, training).

Checks of lesson 08's exercises: byte-level BPE (train, encode), RMSNorm, SwiGLU, RoPE, grouped-query
attention, top-p filtering, the warm-up + cosine schedule and the training loop."""
from . import bpe, blocks, training  # noqa: F401  (registers the exercises)
