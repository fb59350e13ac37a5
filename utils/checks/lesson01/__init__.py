"""Checks of lesson 01's exercises (RNN step and unrolling, gradient norms, memory task, clipping).

Checks of lesson 01's exercises: one RNN step, its unrolling, input-gradient norms, the memory task's batches,
gradient clipping."""
from . import rnn, memory_task  # noqa: F401  (registers the exercises)
