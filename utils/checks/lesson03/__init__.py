"""Checks of lesson 03's exercises (heads, per-head attention, multi-head attention).

Checks of lesson 03's exercises: split and merge heads, per-head attention, nn.MultiheadAttention's
forward by hand, its parameter count and its FLOPs."""
from . import heads, mha  # noqa: F401  (registers the exercises)
