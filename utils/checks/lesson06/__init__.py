"""Checks of lesson 06's exercises (labels, padding, batching, summarizing, a new task).

Checks of lesson 06's exercises: logits to labels, padding, length-sorted batches, a centrality
summarizer and a zero-shot classification pipeline (built on the shipped MiniLM)."""
from . import batching, tasks  # noqa: F401  (registers the exercises)
