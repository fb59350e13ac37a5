"""Checks of lesson 01's memory task: the batches of key-value pairs and a query."""
import torch

from ..core import CheckFailed, Exercise, register


NUM_KEYS, VOCAB_SIZE = 8, 32  # lesson 01's memory task (its exercise cell defines the same two numbers)


# --- make_recall_batch -----------------------------------------------------------------------------------------------

def _recall_cases(g):
    seeds = torch.randint(0, 2 ** 31, (6,), generator=g).tolist()
    sizes = [(4, 3), (1, 0), (500, 1), (300, 40), (64, 7), (2000, 20)]
    return [{"batch_size": b, "distance": d, "seed": s} for (b, d), s in zip(sizes, seeds)]


def _recall_call(f, c):
    batch = lambda seed: f(c["batch_size"], c["distance"], torch.Generator().manual_seed(seed))
    tokens, targets = batch(c["seed"])
    return {"tokens": tokens, "targets": targets, "again": batch(c["seed"])[0], "other": batch(c["seed"] + 1)[0]}


def _recall_judge(got, c):
    B, distance = c["batch_size"], c["distance"]
    tokens, targets = got["tokens"], got["targets"]
    for name, value in (("tokens", tokens), ("targets", targets)):
        if not isinstance(value, torch.Tensor):
            raise CheckFailed(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    if tokens.shape == (B, distance) and distance:
        raise CheckFailed(f"tokens has {distance} columns; it needs distance + 1 = {distance + 1}: the key, then "
                          f"`distance` fillers")
    if tokens.shape != (B, distance + 1):
        raise CheckFailed(f"tokens should have shape {(B, distance + 1)} (batch_size, distance + 1), "
                          f"got {tuple(tokens.shape)}")
    if targets.shape != (B,):
        raise CheckFailed(f"targets should have shape {(B,)} (batch_size,), got {tuple(targets.shape)}")
    for name, value in (("tokens", tokens), ("targets", targets)):
        if value.dtype != torch.long:
            raise CheckFailed(f"{name} should be torch.long (token ids index an embedding), got {value.dtype}")
    keys, fillers = tokens[:, 0], tokens[:, 1:]
    if not torch.equal(keys, targets):
        if distance and torch.equal(tokens[:, -1], targets):
            raise CheckFailed("targets are the LAST token of each row; the target is the key, the first token")
        raise CheckFailed("the target of a row should be its first token (the key, column 0)")
    if (keys < 0).any() or (keys >= NUM_KEYS).any():
        if (keys == NUM_KEYS).any():
            raise CheckFailed(f"a key equals NUM_KEYS = {NUM_KEYS}: keys lie in 0 .. NUM_KEYS - 1, and torch.randint's "
                              "high is exclusive: torch.randint(0, NUM_KEYS, ...)")
        raise CheckFailed(f"keys should lie in 0 .. {NUM_KEYS - 1}, "
                          f"got values from {int(keys.min())} to {int(keys.max())}")
    if distance and ((fillers < NUM_KEYS) | (fillers >= VOCAB_SIZE)).any():
        if (fillers < NUM_KEYS).any():
            raise CheckFailed(f"a filler is below NUM_KEYS = {NUM_KEYS}, so it looks like a key: draw fillers from "
                              f"NUM_KEYS .. VOCAB_SIZE - 1 (torch.randint(NUM_KEYS, VOCAB_SIZE, ...))")
        raise CheckFailed(f"a filler is >= VOCAB_SIZE = {VOCAB_SIZE}: fillers lie in NUM_KEYS .. VOCAB_SIZE - 1, and "
                          "torch.randint's high is exclusive")
    if B >= 1000:
        _uniform_check(keys, range(NUM_KEYS), "key", "torch.randint(0, NUM_KEYS, ...)")
        _uniform_check(fillers, range(NUM_KEYS, VOCAB_SIZE), "filler", "torch.randint(NUM_KEYS, VOCAB_SIZE, ...)")
    if not isinstance(got["again"], torch.Tensor) or not torch.equal(got["again"], tokens):
        raise CheckFailed("the same seeded generator gave a different batch: draw every number with "
                          "torch.randint(..., generator=generator), not from the global random state")
    if B * (distance + 1) >= 8 and isinstance(got["other"], torch.Tensor) and torch.equal(got["other"], tokens):
        raise CheckFailed("two different seeds gave the same batch: draw from the generator you are given")


def _uniform_check(values, allowed, what, call):
    counts = torch.bincount(values.flatten(), minlength=VOCAB_SIZE)[list(allowed)]
    missing = [v for v, n in zip(allowed, counts.tolist()) if n == 0]
    if missing:
        edge = " (torch.randint's high is exclusive)" if missing == [allowed[-1]] else ""
        raise CheckFailed(f"{what} {missing[0]} never appears in {values.numel()} draws: every {what} from "
                          f"{allowed[0]} to {allowed[-1]} should, with {call}{edge}")
    expected = values.numel() / len(allowed)
    worst = int((counts - expected).abs().argmax())
    if abs(counts[worst] - expected) > 6 * expected ** 0.5 + 1:
        raise CheckFailed(f"{what}s are not uniform: {what} {allowed[worst]} appears {int(counts[worst])} times in "
                          f"{values.numel()} draws, about {expected:.0f} expected; draw them with {call}")


register(Exercise(
    test="test_make_recall_batch", names=("make_recall_batch",), cases=_recall_cases, call=_recall_call,
    judge=_recall_judge, forbidden=("recurrent", "make_recall_batch"),
    on_error=lambda case, error: ("make_recall_batch should return two tensors, tokens and targets"
                                  if "unpack" in error else "")))
