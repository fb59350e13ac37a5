"""Checks of lesson 04's exercises (positions, encoder and decoder layers, decoding).

Checks of lesson 04's exercises: the sinusoidal table, contextual vectors, an encoder layer, the decoder's
mask, greedy decoding."""
from . import positions, encoder, decoding  # noqa: F401  (registers the exercises)
