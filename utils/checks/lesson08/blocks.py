"""Checks of lesson 08's building blocks: RMSNorm, SwiGLU, RoPE, grouped-query attention."""
import torch
import torch.nn.functional as F

from ..compare import expect_tensor
from ..core import Exercise, randn, register


# --- rms_norm ------------------------------------------------------------------------------------------------

def _rms_cases(g):
    cases = [{"x": torch.tensor([[3.0, -3.0, 3.0, -3.0]]), "weight": torch.ones(4), "eps": 1e-6}]
    for shape, eps, scale, shift in [((2, 5, 16), 1e-6, 3.0, 2.0), ((7, 3), 1e-5, 1.0, 0.5),
                                     ((1, 1, 1, 8), 1e-2, 0.2, 0.1), ((4, 6), 0.5, 0.5, 1.0)]:
        cases.append({"x": randn(g, *shape, scale=scale) + shift, "weight": randn(g, shape[-1]), "eps": eps})
    return cases


def _rms_judge(got, case):
    x, w, eps = case["x"], case["weight"], case["eps"]
    ms = x.pow(2).mean(-1, keepdim=True)
    expected = x * torch.rsqrt(ms + eps) * w
    centred = x - x.mean(-1, keepdim=True)
    expect_tensor(got, expected, "rms_norm(x, weight, eps)", "(..., d)",
                  [(x * torch.rsqrt(x.mean(-1, keepdim=True) + eps) * w, "it divides by the mean, not the root "
                    "of the mean of squares: x.pow(2).mean(-1, keepdim=True)"),
                   (x * torch.rsqrt(x.abs().mean(-1, keepdim=True) + eps) * w, "it divides by the mean of |x|, "
                    "not the root of the mean of squares: x.pow(2).mean(-1, keepdim=True)"),
                   (x / (ms.sqrt() + eps) * w, "eps is outside the square root: x / sqrt(mean(x²) + eps)"),
                   (x * torch.rsqrt(ms + eps), "the weight is missing: multiply by weight at the end"),
                   (centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + eps) * w, "this is LayerNorm: "
                    "RMSNorm does not subtract the mean (no centring)"),
                   (x * torch.rsqrt(ms) * w, "eps is ignored: add it to the mean of squares")],
                  atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_rms_norm", names=("rms_norm",), cases=_rms_cases,
    call=lambda f, c: f(c["x"], c["weight"], c["eps"]), judge=_rms_judge,
    forbidden=("rms_norm", "RMSNorm", "layer_norm", "LayerNorm", "normalize")))


# --- swiglu -----------------------------------------------------------------------------------------------------

def _swiglu_cases(g):
    cases = [{"x": torch.tensor([[1.0, 2.0]]), "w1": torch.eye(2), "w3": torch.eye(2), "w2": torch.eye(2)}]
    for d, f in [(8, 12), (16, 40), (3, 5), (6, 6)]:
        cases.append({"x": randn(g, 2, 4, d), "w1": randn(g, f, d, scale=d ** -0.5),
                      "w3": randn(g, f, d, scale=d ** -0.5), "w2": randn(g, d, f, scale=f ** -0.5)})
    return cases


def _swiglu_judge(got, case):
    x, w1, w3, w2 = case["x"], case["w1"], case["w3"], case["w2"]
    up = x @ w3.T
    expected = (F.silu(x @ w1.T) * up) @ w2.T
    mistakes = [((F.silu(up) * (x @ w1.T)) @ w2.T, "the gate and up projections are swapped: "
                 "silu(x @ w1.T) * (x @ w3.T)"),
                ((F.relu(x @ w1.T) * up) @ w2.T, "relu is used instead of silu (x * sigmoid(x))"),
                ((F.gelu(x @ w1.T) * up) @ w2.T, "gelu is used instead of silu (x * sigmoid(x))"),
                ((torch.sigmoid(x @ w1.T) * up) @ w2.T, "sigmoid is used instead of silu (x * sigmoid(x))"),
                (F.silu(x @ w1.T) @ w2.T, "the up projection is missing: multiply the gate by x @ w3.T")]
    if w1.size(0) == w1.size(1):
        mistakes.append(((F.silu(x @ w1) * (x @ w3)) @ w2, "the weights are not transposed: nn.Linear weights "
                         "are (out, in), so use x @ w.T"))
    expect_tensor(got, expected, "swiglu(x, w1, w3, w2)", "(..., d)", mistakes, atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_swiglu", names=("swiglu",), cases=_swiglu_cases,
    call=lambda f, c: f(c["x"], c["w1"], c["w3"], c["w2"]), judge=_swiglu_judge, forbidden=("SwiGLU",),
    on_error=lambda case, error: "nn.Linear weights are (out, in): project with x @ w.T"
    if "mat1 and mat2" in error or "shapes cannot be multiplied" in error else ""))


# --- apply_rope -------------------------------------------------------------------------------------------------

def _rope(x, positions, base, layout="pairs", sign=1.0, exponent="2i"):
    hd = x.size(-1)
    i = torch.arange(0, hd, 2, dtype=torch.float32)
    theta = base ** (-i / hd) if exponent == "2i" else base ** (-(i / 2) / hd) if exponent == "i" else \
        base ** (-torch.ones_like(i))
    angle = sign * positions.to(torch.float32)[:, None] * theta
    cos, sin = angle.cos(), angle.sin()
    if layout == "pairs":
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)
    first, second = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)


def _rope_cases(g):
    cases = [{"x": torch.tensor([1.0, 0.0]).reshape(1, 1, 1, 2), "positions": torch.tensor([1]), "base": 1.0}]
    for shape in [(2, 3, 5, 8), (1, 4, 7, 16), (3, 1, 2, 4)]:
        positions = torch.randint(0, 500, (shape[2],), generator=g)
        x = randn(g, *shape)
        for base in (10000.0, 500.0):
            cases.append({"x": x, "positions": positions, "base": base})
    return cases


def _rope_judge(got, case):
    x, pos, base = case["x"], case["positions"], case["base"]
    expected = _rope(x, pos, base)
    expect_tensor(got, expected, "apply_rope(x, positions, base)", "(B, H, L, hd)",
                  [(_rope(x, pos, base, layout="halves"), "it rotates the two halves (x[:hd/2], x[hd/2:]) together: "
                    "rotate interleaved pairs (x[..., 0::2], x[..., 1::2])"),
                   (_rope(x, pos, base, sign=-1.0), "the rotation has the wrong sign: (a, b) turns to "
                    "(a cos - b sin, a sin + b cos)"),
                   (_rope(x, pos, base, exponent="i"), "the frequency's exponent is i/hd: pair i turns by "
                    "base ** (-2i/hd) per position"),
                   (_rope(x, pos, base, exponent="hd"), "the frequency's exponent is hd for every pair: pair i "
                    "turns by base ** (-2i/hd) per position"),
                   (x, "x is returned unrotated")], atol=1e-4, rtol=1e-4)


register(Exercise(
    test="test_apply_rope", names=("apply_rope",), cases=_rope_cases,
    call=lambda f, c: f(c["x"], c["positions"], base=c["base"]), judge=_rope_judge,
    forbidden=("apply_rope", "RotaryEmbedding", "rotary")))


# --- gqa_attention ---------------------------------------------------------------------------------------------

def _gqa_cases(g):
    cases = []
    for B, H, Hkv, L, hd in [(1, 2, 1, 3, 4), (2, 4, 2, 6, 8), (2, 8, 2, 6, 8), (2, 6, 3, 5, 4), (1, 4, 4, 7, 8)]:
        cases.append({"q": randn(g, B, H, L, hd), "k": randn(g, B, Hkv, L, hd), "v": randn(g, B, Hkv, L, hd)})
    return cases


def _gqa_judge(got, case):
    q, k, v = case["q"], case["k"], case["v"]
    group = q.size(1) // k.size(1)

    def attend(keys, values, causal=True):
        return F.scaled_dot_product_attention(q, keys, values, is_causal=causal)
    ki, vi = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    kr, vr = k.repeat(1, group, 1, 1), v.repeat(1, group, 1, 1)
    expect_tensor(got, attend(ki, vi), "gqa_attention(q, k, v)", "(B, H, L, hd)",
                  [(attend(kr, vr), "the key/value heads are tiled (repeat): query heads 0..group-1 share kv head 0, "
                    "so use repeat_interleave(group, dim=1)"),
                   (attend(ki, vi, causal=False), "the attention is not causal: token i may attend to tokens j <= i "
                    "(is_causal=True)"),
                   (attend(kr, vr, causal=False), "the attention is not causal (is_causal=True), and the kv heads "
                    "are tiled (use repeat_interleave)")], atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_gqa_attention", names=("gqa_attention",), cases=_gqa_cases,
    call=lambda f, c: f(c["q"], c["k"], c["v"]), judge=_gqa_judge, forbidden=("enable_gqa",)))
