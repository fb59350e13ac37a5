"""Benchmarks of the course, run from the course root as modules: `python -m benchmarks.attention`, ... (README)."""
