"""Checks of lesson 03's multi-head attention: nn.MultiheadAttention's forward by hand, its parameters and FLOPs."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...attention import padding_mask
from ..compare import expect_number, expect_tensor, expect_tuple
from ..core import CheckFailed, Exercise, randn, register
from .heads import TWINS, attend_reference, check_mask_use


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
        q, k, v = randn(g, B, lq, d), randn(g, B, lk, d), randn(g, B, lk, d)
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
    out, weights = attend_reference(q, k, v, H, case["mask"] if mask else None)
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
    check_mask_use(weights, case["mask"], ref_w)
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

def mha_flops_reference(batch: int, len_q: int, len_k: int, d_model: int, num_heads: int) -> int:
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
