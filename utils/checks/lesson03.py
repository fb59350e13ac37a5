"""Checks of lesson 03's exercises (heads, per-head attention, multi-head attention).

Checks of lesson 03's exercises: split and merge heads, per-head attention, nn.MultiheadAttention's
forward by hand, its parameter count and its FLOPs."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..attention import padding_mask, scaled_dot_product_attention
from .compare import expect_number, expect_tensor, expect_tuple
from .core import CheckFailed, Exercise, register

TWINS = ("MultiHeadAttention", "MultiheadAttention", "multi_head_attention_forward")


def _randn(g, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=g)


def _split(x, num_heads):
    B, L, d = x.shape
    return x.view(B, L, num_heads, d // num_heads).transpose(1, 2)


def _merge(x):
    B, H, L, d_head = x.shape
    return x.transpose(1, 2).reshape(B, L, H * d_head)


def _check_mask_use(weights, mask, expected):
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
        cases.append({"x": _randn(g, B, L, H * d_head), "num_heads": H})
    for d_model, H in [(8, 3), (10, 4), (6, 5)]:
        cases.append({"x": _randn(g, 1, 2, d_model), "num_heads": H, "raises": "ValueError"})
    return cases


def _split_judge(got, case):
    x, H = case["x"], case["num_heads"]
    B, L, d = x.shape
    d_head = d // H
    mistakes = [(x.reshape(B, H, L, d_head), "you reshaped straight to (B, H, L, d_head) without a transpose: "
                 "that mixes positions and columns. View as (B, L, H, d_head), then transpose(1, 2)"),
                (x.view(B, L, d_head, H).permute(0, 3, 1, 2), "head h got every H-th column (columns interleaved): "
                 "head h must hold the contiguous slice of columns h*d_head to (h+1)*d_head - 1; view as (B, L, H, d_head)"),
                (x.view(B, L, H, d_head), "the head axis is still after the length: transpose(1, 2) to get (B, H, L, d_head)")]
    expect_tensor(got, _split(x, H), "split_heads(x, num_heads)", "(B, num_heads, L, d_head)", mistakes, atol=0, rtol=0)


register(Exercise(
    test="test_split_heads", names=("split_heads",), cases=_split_cases,
    call=lambda f, c: f(c["x"], c["num_heads"]), judge=_split_judge,
    forbidden=TWINS + ("split_heads", "rearrange", "einops"),
    on_error=lambda case, error: "" if case.get("raises") else _shape_hint(
        error, f"{(case['x'].shape[0], case['num_heads'], case['x'].shape[1], case['x'].shape[2] // case['num_heads'])}")))


# --- merge_heads ---------------------------------------------------------------------------------------

def _merge_cases(g):
    cases = [{"x": _split(torch.arange(48, dtype=torch.float32).view(2, 3, 8), 4), "note": "split_heads' example"}]
    for B, H, L, d_head in [(1, 1, 1, 1), (3, 12, 7, 32), (2, 3, 5, 4), (2, 8, 1, 2), (2, 4, 6, 3)]:
        cases.append({"x": _randn(g, B, H, L, d_head)})
    return cases


def _merge_judge(got, case):
    x = case["x"]
    B, H, L, d_head = x.shape
    mistakes = [(x.reshape(B, L, H * d_head), "you reshaped (B, H, L, d_head) straight to (B, L, H*d_head) without "
                 "moving the head axis back: transpose(1, 2) first, then reshape"),
                (x.permute(0, 2, 3, 1).reshape(B, L, H * d_head), "wrong permutation: the columns come out "
                 "interleaved (d_head before H). Use transpose(1, 2) -> (B, L, H, d_head), so head 0's columns come first"),
                (x.transpose(1, 2), "the heads are not concatenated: reshape (B, L, H, d_head) into (B, L, H*d_head)")]
    expect_tensor(got, _merge(x), "merge_heads(x)", "(B, L, H * d_head)", mistakes, atol=0, rtol=0)


register(Exercise(
    test="test_merge_heads", names=("merge_heads",), cases=_merge_cases,
    call=lambda f, c: f(c["x"]), judge=_merge_judge,
    forbidden=TWINS + ("merge_heads", "rearrange", "einops"),
    on_error=lambda case, error: _shape_hint(error, "(B, L, H * d_head)")))


# --- multi_head_attend -------------------------------------------------------------------------------------

def _attend_reference(q, k, v, H, mask=None):
    out, w = scaled_dot_product_attention(_split(q, H), _split(k, H), _split(v, H), mask=mask)
    return _merge(out), w


def _attend_cases(g):
    cases = [{"q": _randn(g, 2, 5, 12), "k": _randn(g, 2, 5, 12), "v": _randn(g, 2, 5, 12), "num_heads": 3,
              "mask": None}]
    for B, lq, lk, H, d_head in [(1, 1, 1, 1, 1), (3, 6, 9, 4, 8), (2, 7, 7, 12, 5), (2, 4, 6, 2, 3)]:
        d = H * d_head
        q, k, v = _randn(g, B, lq, d), _randn(g, B, lk, d, scale=2.0), _randn(g, B, lk, d)
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
    ref_out, ref_w = _attend_reference(q, k, v, H, mask)
    d_head = q.size(-1) // H
    mistakes = [(_attend_reference(q * (d_head ** 0.5 / q.size(-1) ** 0.5), k, v, H, mask)[1],
                 "the scores are divided by √d_model: each head divides by √d_head, the size of its own vectors")]
    if mask is not None:
        mistakes.append((_attend_reference(q, k, v, H)[1], "masked positions got weight: the mask was ignored; "
                         "pass mask=mask to scaled_dot_product_attention"))
        if bool((~mask).any(-1).all()):
            mistakes.append((_attend_reference(q, k, v, H, ~mask)[1], "the mask is inverted: True means 'may attend'"))
    _check_mask_use(weights, mask, ref_w)
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


# --- mha_forward ---------------------------------------------------------------------------------------------

class _ModuleToReadOnly(nn.MultiheadAttention):
    """nn.MultiheadAttention whose own forward refuses to run: the exercise computes it by hand."""

    def forward(self, *args, **kwargs):
        raise RuntimeError("mha_forward must compute the forward pass by hand from mha's weights; calling mha(...) "
                           "itself is not allowed")


def _mha_state(g, d, H, scale=0.5):
    mha = nn.MultiheadAttention(d, H, batch_first=True)
    return {name: (torch.rand(p.shape, generator=g) * 2 - 1) * scale for name, p in mha.state_dict().items()}


def _mha_cases(g):
    cases = []
    for B, lq, lk, d, H in [(2, 6, 6, 16, 4), (1, 1, 1, 4, 1), (3, 5, 9, 24, 6), (2, 7, 7, 64, 8)]:
        state = _mha_state(g, d, H)
        q, k, v = _randn(g, B, lq, d), _randn(g, B, lk, d), _randn(g, B, lk, d)
        cases.append({"state": state, "num_heads": H, "query": q, "key": k, "value": v, "mask": None})
        mask = torch.rand(lq, lk, generator=g) < 0.6
        mask[:, 0] = True
        if lk > 1:
            mask[:, -1] = False
        cases.append({"state": state, "num_heads": H, "query": q, "key": k, "value": v, "mask": mask,
                      "note": "an (Lq, Lk) mask"})
        keep = torch.rand(B, lk, generator=g) < 0.7
        keep[:, 0] = True
        if lk > 1:
            keep[:, -1] = False
        cases.append({"state": state, "num_heads": H, "query": q, "key": k, "value": v,
                      "mask": padding_mask(keep), "note": "a (B, 1, 1, Lk) padding mask"})
    return cases


def _mha_call(f, case):
    state = case["state"]
    d = state["out_proj.weight"].size(0)
    mha = _ModuleToReadOnly(d, case["num_heads"], batch_first=True)
    mha.load_state_dict(state)
    mha.eval()
    with torch.no_grad():
        return f(case["query"], case["key"], case["value"], mha, mask=case["mask"])


def _mha_reference(case, in_bias=True, out_bias=True, mask=True, transposed=False, out_proj=True):
    s, H = case["state"], case["num_heads"]
    W = s["in_proj_weight"].chunk(3, dim=0)
    b = s["in_proj_bias"].chunk(3, dim=0) if in_bias else (None,) * 3
    if transposed:
        W = tuple(w.T for w in W)
    q, k, v = (F.linear(x, w, bias) for x, w, bias in zip((case["query"], case["key"], case["value"]), W, b))
    out, weights = _attend_reference(q, k, v, H, case["mask"] if mask else None)
    if out_proj:
        out = F.linear(out, s["out_proj.weight"], s["out_proj.bias"] if out_bias else None)
    return out, weights


def _mha_judge(got, case):
    expect_tuple(got, 2, "mha_forward")
    out, weights = got
    ref_out, ref_w = _mha_reference(case)
    mistakes = [(_mha_reference(case, in_bias=False)[1], "the weights differ as if the query/key/value biases were "
                 "dropped: use mha.in_proj_bias (chunked into three like in_proj_weight)"),
                (_mha_reference(case, transposed=True)[1], "the projection matrices are used transposed: "
                 "in_proj_weight is in nn.Linear's layout, F.linear(x, W, b) = x @ W.T + b")]
    if case["mask"] is not None:
        mistakes.append((_mha_reference(case, mask=False)[1], "masked positions got weight: the mask was ignored; "
                         "pass it on (ours: True = may attend)"))
        mistakes.append((_mha_inverted(case), "the mask is inverted: "
                         "our convention is True = may attend (PyTorch's attn_mask is the opposite)"))
    _check_mask_use(weights, case["mask"], ref_w)
    expect_tensor(weights, ref_w, "the per-head attention weights", "(B, num_heads, Lq, Lk)", mistakes,
                  atol=1e-5, rtol=1e-4)
    out_mistakes = [(_mha_reference(case, in_bias=False, out_bias=False)[0], "the biases are missing: "
                     "nn.MultiheadAttention adds in_proj_bias to q, k, v and out_proj.bias to the output"),
                    (_mha_reference(case, out_bias=False)[0], "the output projection's bias is missing: "
                     "use mha.out_proj(out), or add mha.out_proj.bias"),
                    (_mha_reference(case, in_bias=False)[0], "the query/key/value biases are missing: "
                     "use mha.in_proj_bias"),
                    (_mha_reference(case, out_proj=False)[0], "the output projection is missing: apply mha.out_proj "
                     "to the merged heads")]
    expect_tensor(out, ref_out, "the output", "(B, Lq, d_model)", out_mistakes, atol=1e-5, rtol=1e-4)


def _mha_inverted(case):
    mask = case["mask"]
    if not bool((~mask).any(-1).all()):
        return torch.full((1,), float("nan"))
    return _mha_reference(dict(case, mask=~mask))[1]


register(Exercise(
    test="test_mha_forward", names=("mha_forward",), cases=_mha_cases, call=_mha_call, judge=_mha_judge,
    forbidden=TWINS[2:] + ("scaled_dot_product_attention_forward",), allowed=("multi_head_attend",),
    on_error=lambda case, error: "compute the layer from mha.in_proj_weight, mha.in_proj_bias and mha.out_proj"
    if "by hand" in error else ""))


# --- mha_parameter_count ---------------------------------------------------------------------------------------

def _count_cases(g):
    cases = [{"d_model": 384, "num_heads": 12, "bias": True}]
    for d, H, bias in [(8, 1, True), (8, 8, False), (64, 4, True), (512, 8, False), (96, 12, True)]:
        cases.append({"d_model": d, "num_heads": H, "bias": bias})
    for _ in range(3):
        H = int(torch.randint(1, 9, (1,), generator=g))
        d = H * int(torch.randint(1, 40, (1,), generator=g))
        cases.append({"d_model": d, "num_heads": H, "bias": bool(torch.rand(1, generator=g) < 0.5)})
    return cases


def _count_judge(got, case):
    d, H, bias = case["d_model"], case["num_heads"], case["bias"]
    expected = 4 * d * d + (4 * d if bias else 0)
    if isinstance(got, float) and got.is_integer():
        got = int(got)
    if not isinstance(got, int) or isinstance(got, bool):
        raise CheckFailed(f"the count should be an int, got {type(got).__name__}")
    mistakes = [(4 * d * d, "the biases are missing: with bias=True each of the 4 projections also has d_model biases"),
                (4 * d * d + 4 * d, "the biases are counted although bias=False: count them only when bias is True"),
                (3 * d * d + (3 * d if bias else 0), "only 3 projections counted: the output projection W^O has "
                 "d_model² weights (and d_model biases) too"),
                (H * (4 * d * d + (4 * d if bias else 0)), "multiplied by the number of heads: the heads share the "
                 "d_model × d_model matrices (each head uses a slice of columns)")]
    expect_number(got, expected, f"mha_parameter_count({d}, {H}, bias={bias})",
                  [(w, m) for w, m in mistakes if w != expected], rel=0, abs_=0)


register(Exercise(
    test="test_mha_parameter_count", names=("mha_parameter_count",), cases=_count_cases,
    call=lambda f, c: f(c["d_model"], c["num_heads"], bias=c["bias"]), judge=_count_judge,
    forbidden=TWINS + ("parameters", "numel", "state_dict")))


# --- mha_flops ------------------------------------------------------------------------------------------------

def mha_flops_reference(batch, len_q, len_k, d_model, num_heads):
    """What torch.utils.flop_counter.FlopCounterMode counts for nn.MultiheadAttention (tested in tests/)."""
    return 2 * batch * d_model * d_model * (2 * len_q + 2 * len_k) + 4 * batch * len_q * len_k * d_model


def _flops_cases(g):
    cases = [{"args": [2, 10, 10, 64, 4]}]
    cases += [{"args": list(a)} for a in [(1, 1, 1, 4, 1), (3, 7, 13, 48, 6), (2, 33, 5, 16, 2), (1, 128, 128, 96, 12)]]
    for _ in range(3):
        H = int(torch.randint(1, 9, (1,), generator=g))
        lq, lk = (int(x) for x in torch.randint(1, 60, (2,), generator=g))
        if lq == lk:
            lk += 1
        cases.append({"args": [int(torch.randint(1, 5, (1,), generator=g)), lq, lk,
                               H * int(torch.randint(1, 20, (1,), generator=g)), H]})
    return cases


def _flops_judge(got, case):
    B, lq, lk, d, H = case["args"]
    expected = mha_flops_reference(B, lq, lk, d, H)
    if isinstance(got, float) and got.is_integer():
        got = int(got)
    if not isinstance(got, int) or isinstance(got, bool):
        raise CheckFailed(f"the FLOP count should be an int, got {type(got).__name__}")
    proj = 2 * B * d * d * (2 * lq + 2 * lk)
    attn = 4 * B * lq * lk * d
    mistakes = [(expected // 2, "half of PyTorch's count: you counted multiply-adds; one multiply-add is 2 FLOPs"),
                (expected * 2, "twice PyTorch's count: each (n×m)(m×p) product is 2·n·m·p FLOPs, not 4·n·m·p"),
                (2 * B * d * d * 4 * lq + 4 * B * lq * lq * d, "the key and value lengths are taken as len_q: "
                 "K and V projections cost len_k rows each, the scores and weighted sum are Lq × Lk"),
                (proj + attn * H, "the attention part is multiplied by num_heads: the heads split d_model, "
                 "so all heads together cost 2·B·Lq·Lk·d per product"),
                (proj - 2 * B * d * d * lq + attn, "the output projection is missing"),
                (proj, "the attention products (scores and weights @ values) are missing"),
                (proj + attn // 2, "only one of the two attention products is counted: the scores and the weighted "
                 "sum of the values each cost 2·B·Lq·Lk·d")]
    expect_number(got, expected, f"mha_flops({B}, {lq}, {lk}, {d}, {H})",
                  [(w, m) for w, m in mistakes if w != expected], rel=0, abs_=0)


register(Exercise(
    test="test_mha_flops", names=("mha_flops",), cases=_flops_cases,
    call=lambda f, c: f(*c["args"]), judge=_flops_judge,
    forbidden=TWINS + ("FlopCounterMode", "flop_counter", "get_total_flops")))
