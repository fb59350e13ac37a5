"""Checks of lesson 04's encoder layer (equal to nn.TransformerEncoderLayer, post-norm)."""
import torch
import torch.nn as nn

from ...attention import MultiHeadAttention, causal_mask, padding_mask
from ...layers import EncoderLayer, FeedForward
from ..compare import expect_tensor
from ..core import CheckFailed, Exercise, randint, register


# --- encoder_layer ------------------------------------------------------------------------------------------------

def _layer_cases(g):
    cases = []
    for d_model, num_heads, d_ff, L in [(32, 4, 64, 7), (16, 2, 48, 9), (64, 8, 256, 9), (12, 3, 12, 6)]:
        with torch.random.fork_rng():
            torch.manual_seed(randint(g, 0, 2 ** 31))
            layer = EncoderLayer(d_model, num_heads, d_ff, dropout=0.0)
        state = {k: v.clone() for k, v in layer.state_dict().items()}
        state["norm1.weight"] = 0.5 + torch.rand(d_model, generator=g)  # non-trivial LayerNorm parameters
        state["norm2.weight"] = 0.5 + torch.rand(d_model, generator=g)
        state["norm1.bias"] = torch.rand(d_model, generator=g) - 0.5
        state["norm2.bias"] = torch.rand(d_model, generator=g) - 0.5
        tokens = torch.randint(1, 10, (3, L), generator=g)
        tokens[1, L - 3:] = 0
        tokens[2, 2:] = 0
        cases.append({"d_model": d_model, "num_heads": num_heads, "d_ff": d_ff, "state": state,
                      "x": 3 * torch.randn(3, L, d_model, generator=g), "tokens": tokens})
    return cases


def _layer_call(cls, c):
    layer = cls(c["d_model"], c["num_heads"], c["d_ff"])
    kinds = sorted({f"{t.__module__}.{t.__qualname__}" for m in layer.modules() for t in type(m).__mro__})
    missing, unexpected = (sorted({k.split(".")[0] for k in keys})
                           for keys in layer.load_state_dict(c["state"], strict=False))
    if missing or unexpected:
        raise AttributeError(f"MyEncoderLayer's parts do not match: missing {missing or 'none'}, "
                             f"unexpected {unexpected or 'none'}")
    x = c["x"]
    out = layer(x)
    out.sum().backward()
    no_grad = [name for name, p in layer.named_parameters() if p.grad is None]
    with torch.no_grad():
        result = {"out": out.detach(), "padded": layer(x, mask=padding_mask(c["tokens"], 0)),
                  "causal": layer(x, mask=causal_mask(x.size(1))), "no_grad": no_grad,
                  "parameters": sum(p.numel() for p in layer.parameters()), "kinds": kinds}
        result["eval"] = layer.eval()(x)
    return result


def _torch_layer(c):
    d = c["d_model"]
    theirs = nn.TransformerEncoderLayer(d, c["num_heads"], c["d_ff"], dropout=0.0, batch_first=True).train()
    s = c["state"]
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(torch.cat([s[f"self_attn.{p}_proj.weight"] for p in "qkv"]))
        theirs.self_attn.in_proj_bias.copy_(torch.cat([s[f"self_attn.{p}_proj.bias"] for p in "qkv"]))
        theirs.self_attn.out_proj.weight.copy_(s["self_attn.out_proj.weight"])
        theirs.self_attn.out_proj.bias.copy_(s["self_attn.out_proj.bias"])
        for mine, name in [("feed_forward.linear1", "linear1"), ("feed_forward.linear2", "linear2"),
                           ("norm1", "norm1"), ("norm2", "norm2")]:
            getattr(theirs, name).weight.copy_(s[f"{mine}.weight"])
            getattr(theirs, name).bias.copy_(s[f"{mine}.bias"])
    return theirs


def _variants(c, x, mask):
    """What typical wrong assemblies of the same parts compute: {name: output}."""
    d = c["d_model"]
    attn, ff = MultiHeadAttention(d, c["num_heads"]), FeedForward(d, c["d_ff"])
    norm1, norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
    for prefix, module in (("self_attn", attn), ("feed_forward", ff), ("norm1", norm1), ("norm2", norm2)):
        module.load_state_dict({k[len(prefix) + 1:]: v for k, v in c["state"].items() if k.startswith(prefix + ".")})
    sa = lambda h, m=mask: attn(h, h, h, mask=m)
    with torch.no_grad():
        h = norm1(x + sa(x))
        return {
            "pre-norm": (lambda h: h + ff(norm2(h)))(x + sa(norm1(x))),
            "no residual": norm2(ff(norm1(sa(x)))),
            "norm1 twice": norm1(h + ff(h)),
            "norm of the sub-layer": (lambda h: h + norm2(ff(h)))(x + norm1(sa(x))),
            "residual from x": norm2(x + ff(h)),
            "mask ignored": norm2(norm1(x + sa(x, None)) + ff(norm1(x + sa(x, None)))),
        }


MESSAGES = {
    "pre-norm": "this is a pre-norm layer (LayerNorm before each sub-layer); the exercise asks for post-norm: "
                "x = norm1(x + self_attn(x)), then x = norm2(x + feed_forward(x))",
    "no residual": "no residual connection: add each sub-layer's input to its output before the LayerNorm, "
                   "norm1(x + self_attn(x, x, x))",
    "norm1 twice": "norm1 is used twice: the feed-forward sub-layer's sum goes through norm2",
    "norm of the sub-layer": "the LayerNorm is applied to the sub-layer's output alone; post-norm normalises the "
                             "sum: norm1(x + self_attn(x, x, x))",
    "residual from x": "the feed-forward residual adds the layer's original input; it adds the attention "
                       "sub-layer's output (the x after norm1)",
    "mask ignored": "the mask did not change the output: pass it on, self.self_attn(x, x, x, mask=mask)",
}


def _layer_judge(got, c):
    theirs, x, tokens = _torch_layer(c), c["x"], c["tokens"]
    with torch.no_grad():
        ref = theirs(x)
        ref_padded = theirs(x, src_key_padding_mask=tokens == 0)
        ref_causal = theirs(x, src_mask=~causal_mask(x.size(1)))
    twins = [k for k in got["kinds"] if k.endswith((".EncoderLayer", ".TransformerEncoderLayer", ".Encoder",
                                                    ".TransformerEncoder"))]
    if twins:
        raise CheckFailed(f"the layer is built on {twins[0]}: build it from its parts (MultiHeadAttention, "
                          "FeedForward, two LayerNorms), not from utils.EncoderLayer or nn.TransformerEncoderLayer")
    variants = _variants(c, x, None)
    mistakes = [(variants[k], MESSAGES[k]) for k in MESSAGES if k != "mask ignored"]
    out = got["out"]
    if isinstance(out, torch.Tensor) and out.shape == ref.shape and not torch.allclose(out, ref, atol=1e-5, rtol=1e-4) \
            and isinstance(got["eval"], torch.Tensor) and torch.allclose(got["eval"], ref, atol=1e-5, rtol=1e-4):
        raise CheckFailed("in training mode the output changes at random: this layer has no dropout")
    expect_tensor(out, ref, "the layer's output", "(B, L, d_model)", mistakes, atol=1e-5, rtol=1e-4)
    causal = _variants(c, x, causal_mask(x.size(1)))
    expect_tensor(got["causal"], ref_causal, "the output with a causal mask", "(B, L, d_model)",
                  [(causal[k], MESSAGES[k]) for k in MESSAGES], atol=1e-5, rtol=1e-4)
    keep = tokens != 0
    padded = got["padded"]
    if not isinstance(padded, torch.Tensor) or padded.shape != ref.shape:
        raise CheckFailed(f"the output with a padding mask should have shape {tuple(ref.shape)}")
    expect_tensor(padded[keep], ref_padded[keep], "the real tokens' outputs with a padding mask", "",
                  [(ref[keep], MESSAGES["mask ignored"])], atol=1e-5, rtol=1e-4)
    if got["no_grad"]:
        raise CheckFailed(f"these parameters get no gradient, so they never learn: {got['no_grad'][:3]}")
    expected = sum(p.numel() for p in theirs.parameters())
    if got["parameters"] != expected:
        raise CheckFailed(f"the layer has {got['parameters']} parameters, nn.TransformerEncoderLayer {expected}")


def _layer_hint(case, error):
    if "parts do not match" in error or "size mismatch" in error:
        return ("create exactly self.self_attn = utils.MultiHeadAttention(d_model, num_heads), self.feed_forward = "
                "utils.FeedForward(d_model, d_ff), self.norm1 and self.norm2 = nn.LayerNorm(d_model), and no other "
                "part with parameters")
    return ""


register(Exercise(
    test="test_encoder_layer", names=("MyEncoderLayer",), cases=_layer_cases, call=_layer_call, judge=_layer_judge,
    forbidden=("EncoderLayer", "TransformerEncoder"), allowed=("MyEncoderLayer",),
    on_error=_layer_hint))
