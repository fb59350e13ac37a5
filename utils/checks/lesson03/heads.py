"""Checks of lesson 03's head exercises: split and merge heads, attention per head."""
from typing import Any

import torch

from ...attention import scaled_dot_product_attention
from ..compare import expect_tensor, expect_tuple
from ..core import CheckFailed, Exercise, randn, register


TWINS = ("MultiHeadAttention", "MultiheadAttention", "multi_head_attention_forward")


def _split(x, num_heads):
    B, L, d = x.shape
    return x.view(B, L, num_heads, d // num_heads).transpose(1, 2)


def _merge(x):
    B, H, L, d_head = x.shape
    return x.transpose(1, 2).reshape(B, L, H * d_head)


def check_mask_use(weights: Any, mask: torch.Tensor | None, expected: torch.Tensor) -> None:
    """Name a mask mistake from where the weight went: on hidden keys (ignored or inverted mask)."""
    if mask is None or not isinstance(weights, torch.Tensor) or weights.shape != expected.shape:
        return
    allowed = mask.expand_as(expected) if mask.dim() == expected.dim() else mask.expand(expected.shape)
    leaked = weights.detach().double().abs() > 1e-6
    if not (leaked & ~allowed).any() and leaked.any():
        return
    if not (leaked & allowed).any():
        raise CheckFailed("the attention weights: the mask is inverted: all weight went to the positions the mask "
                          "hides. True means 'may attend'")
    raise CheckFailed("the attention weights: masked positions got weight (the mask was ignored?): keys where "
                      "the mask is False must get weight 0")


def _shape_hint(error, expected):
    if "view size is not compatible" in error:
        return ("after a transpose the tensor is not contiguous: use .reshape (or .contiguous() before .view)")
    return f"expected shape {expected}"


# --- split_heads ---------------------------------------------------------------------------------------

def _split_cases(g):
    cases = [{"x": torch.arange(48, dtype=torch.float32).view(2, 3, 8), "num_heads": 4}]
    for B, L, H, d_head in [(1, 1, 1, 1), (3, 7, 12, 32), (2, 5, 3, 4), (4, 2, 8, 1), (2, 6, 2, 5)]:
        cases.append({"x": randn(g, B, L, H * d_head), "num_heads": H})
    for d_model, H in [(8, 3), (10, 4), (6, 5)]:
        cases.append({"x": randn(g, 1, 2, d_model), "num_heads": H, "raises": "ValueError"})
    return cases


def _split_judge(got, case):
    x, H = case["x"], case["num_heads"]
    B, L, d = x.shape
    d_head = d // H
    mistakes = [(x.reshape(B, H, L, d_head), "you reshaped straight to (B, H, L, d_head) without a transpose: "
                 "that mixes positions and columns. View as (B, L, H, d_head), then transpose(1, 2)"),
                (x.view(B, L, d_head, H).permute(0, 3, 1, 2), "head h got every H-th column (columns interleaved): "
                 "head h must hold the contiguous slice of columns h*d_head to (h+1)*d_head - 1; "
                 "view as (B, L, H, d_head)"),
                (x.view(B, L, H, d_head), "the head axis is still after the length: "
                 "transpose(1, 2) to get (B, H, L, d_head)")]
    expect_tensor(got, _split(x, H), "split_heads(x, num_heads)", "(B, num_heads, L, d_head)", mistakes, atol=0, rtol=0)


register(Exercise(
    test="test_split_heads", names=("split_heads",), cases=_split_cases,
    call=lambda f, c: f(c["x"], c["num_heads"]), judge=_split_judge,
    forbidden=TWINS + ("split_heads", "rearrange", "einops"),
    on_error=lambda case, error: "" if case.get("raises") else _shape_hint(
        error,
        f"{(case['x'].shape[0], case['num_heads'], case['x'].shape[1], case['x'].shape[2] // case['num_heads'])}")))


# --- merge_heads ---------------------------------------------------------------------------------------

def _merge_cases(g):
    cases = [{"x": _split(torch.arange(48, dtype=torch.float32).view(2, 3, 8), 4), "note": "split_heads' example"}]
    for B, H, L, d_head in [(1, 1, 1, 1), (3, 12, 7, 32), (2, 3, 5, 4), (2, 8, 1, 2), (2, 4, 6, 3)]:
        cases.append({"x": randn(g, B, H, L, d_head)})
    return cases


def _merge_judge(got, case):
    x = case["x"]
    B, H, L, d_head = x.shape
    mistakes = [(x.reshape(B, L, H * d_head), "you reshaped (B, H, L, d_head) straight to (B, L, H*d_head) without "
                 "moving the head axis back: transpose(1, 2) first, then reshape"),
                (x.permute(0, 2, 3, 1).reshape(B, L, H * d_head), "wrong permutation: the columns come out "
                 "interleaved (d_head before H). Use transpose(1, 2) -> (B, L, H, d_head), "
                 "so head 0's columns come first"),
                (x.transpose(1, 2), "the heads are not concatenated: reshape (B, L, H, d_head) into (B, L, H*d_head)")]
    expect_tensor(got, _merge(x), "merge_heads(x)", "(B, L, H * d_head)", mistakes, atol=0, rtol=0)


register(Exercise(
    test="test_merge_heads", names=("merge_heads",), cases=_merge_cases,
    call=lambda f, c: f(c["x"]), judge=_merge_judge,
    forbidden=TWINS + ("merge_heads", "rearrange", "einops"),
    on_error=lambda case, error: _shape_hint(error, "(B, L, H * d_head)")))


# --- multi_head_attend -------------------------------------------------------------------------------------

def attend_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, H: int, mask: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    out, w = scaled_dot_product_attention(_split(q, H), _split(k, H), _split(v, H), mask=mask)
    return _merge(out), w


def _attend_cases(g):
    cases = [{"q": randn(g, 2, 5, 12), "k": randn(g, 2, 5, 12), "v": randn(g, 2, 5, 12), "num_heads": 3,
              "mask": None}]
    for B, lq, lk, H, d_head in [(1, 1, 1, 1, 1), (3, 6, 9, 4, 8), (2, 7, 7, 12, 5), (2, 4, 6, 2, 3)]:
        d = H * d_head
        q, k, v = randn(g, B, lq, d), randn(g, B, lk, d, scale=2.0), randn(g, B, lk, d)
        cases.append({"q": q, "k": k, "v": v, "num_heads": H, "mask": None})
        for shape, what in [((lq, lk), "an (Lq, Lk) mask"), ((B, 1, lq, lk), "a (B, 1, Lq, Lk) mask"),
                            ((B, 1, 1, lk), "a (B, 1, 1, Lk) padding mask")]:
            mask = torch.rand(*shape, generator=g) < 0.6
            mask[..., 0] = True  # every query keeps at least one key
            if lk > 1:
                mask[..., -1] = False  # and some key is always hidden
            cases.append({"q": q, "k": k, "v": v, "num_heads": H, "mask": mask, "note": what})
    return cases


def _attend_judge(got, case):
    q, k, v, H, mask = case["q"], case["k"], case["v"], case["num_heads"], case["mask"]
    expect_tuple(got, 2, "multi_head_attend")
    out, weights = got
    ref_out, ref_w = attend_reference(q, k, v, H, mask)
    d_head = q.size(-1) // H
    mistakes = [(attend_reference(q * (d_head ** 0.5 / q.size(-1) ** 0.5), k, v, H, mask)[1],
                 "the scores are divided by √d_model: each head divides by √d_head, the size of its own vectors")]
    if mask is not None:
        mistakes.append((attend_reference(q, k, v, H)[1], "masked positions got weight: the mask was ignored; "
                         "pass mask=mask to scaled_dot_product_attention"))
        if bool((~mask).any(-1).all()):
            mistakes.append((attend_reference(q, k, v, H, ~mask)[1], "the mask is inverted: True means 'may attend'"))
    check_mask_use(weights, mask, ref_w)
    expect_tensor(weights, ref_w, "the attention weights", "(B, num_heads, Lq, Lk)", mistakes, atol=1e-5, rtol=1e-4)
    out_mistakes = [(_merge_wrong(scaled_dot_product_attention(_split(q, H), _split(k, H), _split(v, H), mask=mask)[0]),
                     "the heads were merged without moving the head axis back: transpose(1, 2) before the reshape")]
    expect_tensor(out, ref_out, "the output", "(B, Lq, d_model)", out_mistakes, atol=1e-5, rtol=1e-4)


def _merge_wrong(x):
    B, H, L, d_head = x.shape
    return x.reshape(B, L, H * d_head)


register(Exercise(
    test="test_multi_head_attend", names=("multi_head_attend",), cases=_attend_cases,
    call=lambda f, c: f(c["q"], c["k"], c["v"], c["num_heads"], mask=c["mask"]), judge=_attend_judge,
    forbidden=TWINS, allowed=("split_heads", "merge_heads"),
    on_error=lambda case, error: "the mask (True = may attend) broadcasts over the head axis as it is: pass it to "
    "scaled_dot_product_attention unchanged" if case["mask"] is not None else ""))
