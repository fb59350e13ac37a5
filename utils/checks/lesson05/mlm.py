"""Checks of lesson 05's masked-LM exercise: BERT's 80/10/10 masking rule."""
import math

import torch

from ...batching import IGNORE_INDEX
from ..compare import expect_tuple
from ..core import CheckFailed, Exercise, randint, register


# --- mlm_mask -------------------------------------------------------------------------------------------------

def _mlm_cases(g):
    cases = []
    for shape, vocab, mask_id, p in [((150, 400), 100, 1, 0.15), ((150, 400), 500, 3, 0.4),
                                     ((30, 20, 100), 60, 59, 0.25)]:
        cases.append({"tokens": torch.randint(0, vocab, shape, generator=g), "mask_id": mask_id, "vocab_size": vocab,
                      "mask_prob": p, "seeds": [randint(g, 0, 2 ** 31), randint(g, 0, 2 ** 31)]})
    return cases


def _mlm_call(f, case):
    f.__globals__.setdefault("IGNORE_INDEX", IGNORE_INDEX)  # the lesson imports it in a demo cell

    def run(seed):
        return f(tokens, case["mask_id"], case["vocab_size"], mask_prob=case["mask_prob"],
                 generator=torch.Generator().manual_seed(seed))
    tokens = case["tokens"]
    first, again, other = run(case["seeds"][0]), run(case["seeds"][0]), run(case["seeds"][1])
    return {"tokens": tokens, "first": first, "again": again, "other": other}


def _tolerance(share, n):
    return 6 * math.sqrt(max(share * (1 - share), 1e-4) / max(n, 1)) + 1e-3


def _mlm_judge(got, case):
    tokens, mask_id, vocab, p = case["tokens"], case["mask_id"], case["vocab_size"], case["mask_prob"]
    if not isinstance(got, dict) or not all(key in got for key in ("tokens", "first", "again", "other")):
        raise CheckFailed("mlm_mask returned no usable result")
    expect_tuple(got["first"], 2, "mlm_mask")
    inputs, labels = got["first"]
    for name, t in (("inputs", inputs), ("labels", labels)):
        if not isinstance(t, torch.Tensor) or t.shape != tokens.shape:
            raise CheckFailed(f"{name} should be a tensor shaped like tokens {tuple(tokens.shape)}, got "
                              f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}")
        if t.dtype != torch.long:
            raise CheckFailed(f"{name} should be torch.long, got {t.dtype}")
    if not torch.equal(got["tokens"], tokens):
        raise CheckFailed("tokens was modified in place: build inputs from a copy (masked_fill, torch.where or "
                          "tokens.clone()), the caller still needs the original tokens")
    chosen = labels != IGNORE_INDEX
    if (labels == 0).float().mean() > 0.5:
        raise CheckFailed("labels of positions that are not chosen must be -100 (IGNORE_INDEX), which the loss skips")
    if chosen.float().mean() > 0.99 and p < 0.9:
        raise CheckFailed("every position has a label: positions that are not chosen must be labelled -100 "
                          "(IGNORE_INDEX), so that the loss scores only the chosen ones")
    if not torch.equal(labels[chosen], tokens[chosen]):
        hint = (" (they hold the corrupted inputs: take the label from tokens, before corrupting)"
                if torch.equal(labels[chosen], inputs[chosen]) else "")
        raise CheckFailed("a chosen position's label must be its original token" + hint)
    if not torch.equal(inputs[~chosen], tokens[~chosen]):
        raise CheckFailed("positions that are not chosen must keep their token in inputs (only chosen positions "
                          "are corrupted)")
    share = chosen.float().mean().item()
    if abs(share - p) > _tolerance(p, tokens.numel()):
        hint = ""
        if abs(share - 0.15) < 0.01:
            hint = ": mask_prob seems ignored (15% were chosen); choose each position with probability mask_prob"
        elif abs(share - 0.8 * p) < 0.02:
            hint = (": only the <mask> positions are labelled; every chosen position gets a label, "
                    "also the random and unchanged ones")
        raise CheckFailed(f"the wrong ratio of positions was chosen: {share:.1%}, expected about {p:.0%} "
                          f"(mask_prob={p}){hint}")
    real = chosen & (tokens != mask_id)
    n = int(real.sum())
    is_mask = (inputs == mask_id) & real
    kept = (inputs == tokens) & real
    replaced = real & ~is_mask & ~kept
    shares = {"<mask>": (is_mask, 0.8 + 0.1 / vocab), "a random token": (replaced, 0.1 - 0.2 / vocab),
              "unchanged": (kept, 0.1 + 0.1 / vocab)}
    for what, (where, expected) in shares.items():
        got_share = where.sum().item() / n
        if abs(got_share - expected) > _tolerance(expected, n):
            hint = {"a random token": " (never replaced by a random token?)" if got_share < 0.02 else "",
                    "unchanged": " (no chosen position stays unchanged?)" if got_share < 0.02 else ""}.get(what, "")
            raise CheckFailed(f"wrong ratio: of the chosen positions, about {expected:.0%} should become {what}, got "
                              f"{got_share:.1%}{hint}: use one draw per position, <mask> below 0.8, a random token "
                              "between 0.8 and 0.9, unchanged above")
    drawn = inputs[replaced]
    if drawn.numel() and (drawn.min() < 0 or drawn.max() >= vocab):
        raise CheckFailed(f"random tokens must be drawn from 0 .. vocab_size - 1 = {vocab - 1}, got "
                          f"{int(drawn.min())} .. {int(drawn.max())}")
    distinct, expect = len(drawn.unique()), vocab * (1 - math.exp(-drawn.numel() / vocab))
    if distinct < 0.85 * expect:
        raise CheckFailed(f"the random tokens cover {distinct} of the {vocab} ids, expected about {expect:.0f}: "
                          "draw them uniformly from the whole vocabulary, torch.randint(0, vocab_size, ...)")
    again, other = got["again"], got["other"]
    expect_tuple(again, 2, "mlm_mask")
    if not (torch.equal(again[0], inputs) and torch.equal(again[1], labels)):
        raise CheckFailed("the same generator seed gave different masks: draw every random number with "
                          "generator=generator (torch.rand(..., generator=generator), torch.randint(...))")
    expect_tuple(other, 2, "mlm_mask")
    if torch.equal(other[1], labels):
        raise CheckFailed("another generator seed gave the same masks: draw every random number with "
                          "generator=generator")


register(Exercise(
    test="test_mlm_mask", names=("mlm_mask",), cases=_mlm_cases, call=_mlm_call, judge=_mlm_judge,
    forbidden=("mask_tokens", "mlm_batches")))
