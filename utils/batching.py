"""Batching: padding token lists into one tensor, trimming padding, and grouping inputs by length."""
import torch

from .runtime import check_int


def pad_batch(sequences, pad_id=0):
    """Token id lists of different lengths -> input_ids (B, L) and attention_mask (B, L), both long.

    Every row is padded on the right with pad_id up to the longest, L; the mask is 1 on real tokens
    and 0 on padding, so that attention and pooling can ignore the padding.
    """
    sequences = [list(s) for s in sequences]
    if not sequences:
        raise ValueError("pad_batch needs at least one sequence, got none")
    if any(len(s) == 0 for s in sequences):
        raise ValueError("every sequence must hold at least one token id")
    longest = max(map(len, sequences))
    input_ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    attention_mask = torch.zeros(len(sequences), longest, dtype=torch.long)
    for row, ids in enumerate(sequences):
        input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, :len(ids)] = 1
    return input_ids, attention_mask


def length_sorted_batches(lengths, batch_size):
    """Group input indices into batches of similar length -> a list of lists of indices.

    Sort the indices by length (longest first, ties in input order) and cut the sorted list into
    chunks of batch_size: neighbours in a batch then have similar lengths, so little padding is
    needed. Every index appears exactly once; the caller puts results back in input order.
    """
    check_int("batch_size", batch_size)
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # sorted() is stable
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def padding_fraction(lengths, batches):
    """The share of the padded batches' positions that are padding: 0 means no wasted work."""
    total = sum(len(b) * max(lengths[i] for i in b) for b in batches if b)
    return 1 - sum(lengths) / total if total else 0.0


def trim_padding(tokens, pad_id=0):
    """Drop the columns on the right of (B, L) that are padding in every row."""
    used = (tokens != pad_id).any(dim=0).nonzero()
    return tokens[:, : int(used.max()) + 1] if len(used) else tokens[:, :0]
