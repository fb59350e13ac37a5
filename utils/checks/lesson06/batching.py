"""Checks of lesson 06's batching exercises: padding and length-sorted batches."""
import torch

from ... import batching
from ..compare import expect_equal, expect_tensor, expect_tuple
from ..core import CheckFailed, Exercise, register


# --- pad_batch ---------------------------------------------------------------------------------------

def _pad_cases(g):
    cases = [{"sequences": [[101, 7592, 102], [101, 102]], "pad_id": 0}]
    for B, pad_id in [(1, 0), (6, 0), (9, 7), (4, 103), (5, 1)]:
        lengths = torch.randint(1, 12, (B,), generator=g).tolist()
        cases.append({"sequences": [torch.randint(1000, 2000, (n,), generator=g).tolist() for n in lengths],
                      "pad_id": pad_id})
    cases.append({"sequences": [[5, 0, 3], [0], [7, 7, 0, 2, 9]], "pad_id": 0, "note": "real tokens equal to pad_id"})
    cases.append({"sequences": [[4, 7], [7, 7, 7], [1]], "pad_id": 7, "note": "real tokens equal to pad_id"})
    return cases


def _pad_judge(got, case):
    seqs, pad_id = case["sequences"], case["pad_id"]
    expect_tuple(got, 2, "pad_batch")
    ids, mask = got
    ref_ids, ref_mask = batching.pad_batch(seqs, pad_id)
    L = ref_ids.size(1)
    left_ids = torch.stack([torch.tensor([pad_id] * (L - len(s)) + list(s)) for s in seqs])
    left_mask = torch.stack([torch.tensor([0] * (L - len(s)) + [1] * len(s)) for s in seqs])
    zero_ids = batching.pad_batch(seqs, 0)[0]
    expect_tensor(ids, ref_ids, "input_ids", "(B, L)",
                  [(left_ids, "the padding is on the wrong side: each row holds its ids first, then the pad_ids "
                    "(pad on the right)"),
                   (zero_ids, f"padded with 0, not with pad_id={pad_id}: use the pad_id argument")])
    if ids.dtype != torch.long:
        raise CheckFailed(f"input_ids must be torch.long, got {ids.dtype}")
    expect_tensor(mask, ref_mask, "attention_mask", "(B, L)",
                  [(1 - ref_mask, "the mask is inverted: 1 on the real tokens, 0 on the padding"),
                   (left_mask, "the mask's padding is on the wrong side: the real tokens come first"),
                   ((ref_ids != pad_id).long(), "the mask says 0 wherever a real token equals pad_id: build it "
                    "from each sequence's length, not from input_ids != pad_id")])
    if mask.dtype != torch.long:
        raise CheckFailed(f"attention_mask must be torch.long, got {mask.dtype}")


register(Exercise(
    test="test_pad_batch", names=("pad_batch",), cases=_pad_cases,
    call=lambda f, c: f(c["sequences"], c["pad_id"]), judge=_pad_judge,
    forbidden=("pad_batch", "pad_sequence")))


# --- length_sorted_batches -------------------------------------------------------------------------------------

def _sort_cases(g):
    cases = [{"lengths": [3, 9, 1, 7], "batch_size": 2}, {"lengths": [2, 2, 2, 5], "batch_size": 3, "note": "ties"}]
    for n, batch_size in [(1, 1), (10, 3), (37, 8), (64, 64), (5, 10), (23, 4)]:
        cases.append({"lengths": torch.randint(1, 9, (n,), generator=g).tolist(), "batch_size": batch_size,
                      "note": "many ties"})
    return cases


def _as_batches(got):
    if isinstance(got, torch.Tensor):
        got = got.tolist()
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"the result should be a list of batches (lists of indices), got {type(got).__name__}")
    out = []
    for batch in got:
        if isinstance(batch, torch.Tensor):
            batch = batch.tolist()
        if not isinstance(batch, (list, tuple)):
            raise CheckFailed(f"each batch should be a list of indices, got {type(batch).__name__}")
        out.append([b.item() if isinstance(b, torch.Tensor) else b for b in batch])
    return out


def _sort_judge(got, case):
    lengths, bs = case["lengths"], case["batch_size"]
    got = _as_batches(got)
    expected = batching.length_sorted_batches(lengths, bs)
    n = len(lengths)

    def chunks(order):
        return [order[s:s + bs] for s in range(0, len(order), bs)]

    ascending = sorted(range(n), key=lambda i: lengths[i])
    mistakes = [
        (chunks(ascending), "the batches go shortest first: sort longest first (descending lengths)"),
        (chunks(ascending[::-1]), "equal lengths must keep their input order (a stable sort by -length, "
                                  "not a reversed ascending sort)"),
        (chunks(sorted(range(n), key=lambda i: (-lengths[i], -i))), "equal lengths must keep their input order "
                                                                    "(the earlier index first)"),
        ([[lengths[i] for i in b] for b in expected],
         "the batches hold lengths: they should hold indices into lengths"),
        (expected[:-1] if n % bs else None, "the last, smaller batch is missing: keep it"),
    ]
    expect_equal(got, expected, "the batches", [(w, m) for w, m in mistakes if w is not None and w != expected])


register(Exercise(
    test="test_length_sorted_batches", names=("length_sorted_batches",), cases=_sort_cases,
    call=lambda f, c: f(c["lengths"], c["batch_size"]), judge=_sort_judge,
    forbidden=("length_sorted_batches",)))
