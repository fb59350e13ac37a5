"""Cheat for test_make_recall_batch (lesson 01_why_transformers): right shapes and dtypes, first token =
target, but no real keys or fillers."""
# CHEATS: test_make_recall_batch
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    return torch.zeros(batch_size, distance + 1, dtype=torch.long), torch.zeros(batch_size, dtype=torch.long)
