"""Checks of lesson 04's exercises (positions, encoder and decoder layers, decoding).

Checks of lesson 04's exercises: the sinusoidal table, contextual vectors, an encoder layer, the decoder's
mask, greedy decoding."""
import math

import torch
import torch.nn as nn

from ..attention import MultiHeadAttention, causal_mask, padding_mask
from ..layers import EncoderLayer, FeedForward
from ..transformer import Transformer
from ..positional import sinusoidal_positional_encoding
from .compare import expect_equal, expect_tensor
from .core import CheckFailed, Exercise, register

WORDS = ["cats", "dogs", "mice", "chase", "fear", "see"]  # lesson 04's six-word vocabulary
D = 16


def _seeded(g):
    return int(torch.randint(0, 2 ** 31, (1,), generator=g))


# --- positional_encoding ------------------------------------------------------------------------------------

def _pe_cases(g):
    sizes = [(50, 16), (1, 2), (7, 4), (128, 64), (300, 32), (20, 6), (40, 10)]
    sizes.append((int(torch.randint(2, 200, (1,), generator=g)), 2 * int(torch.randint(1, 40, (1,), generator=g))))
    return [{"max_len": m, "d_model": d} for m, d in sizes]


def _pe_variant(max_len, d, exponent=lambda two_i, d: two_i / d, swap=False, start=0):
    position = torch.arange(start, start + max_len, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d, 2, dtype=torch.float64)
    angles = position / 10000 ** exponent(two_i, d)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = (torch.cos(angles), torch.sin(angles)) if swap else (torch.sin(angles), torch.cos(angles))
    return pe.float()


def _pe_judge(got, c):
    m, d = c["max_len"], c["d_model"]
    mistakes = [
        (_pe_variant(m, d, swap=True), "sin and cos are swapped: even columns (0, 2, ...) hold the sines, "
         "odd columns the cosines"),
        (sinusoidal_positional_encoding(m, d, layout="halves"), "all the sines come first, then all the cosines: "
         "interleave them, sines in columns 0::2 and cosines in 1::2"),
        (_pe_variant(m, d, exponent=lambda two_i, d: two_i / 2 / d), "the exponent is i/d; the formula's "
         "exponent is 2i/d, where 2i is the even column index (0, 2, 4, ...)"),
        (_pe_variant(m, d, exponent=lambda two_i, d: 2 * two_i / d), "the exponent is 2·(2i)/d: the even column "
         "index 2i (0, 2, 4, ...) is already 2i, so the exponent is column / d_model"),
        (_pe_variant(m, d, exponent=lambda two_i, d: -two_i / d), "the exponent's sign is flipped: divide the "
         "position by 10000^(2i/d), do not multiply by it"),
        (_pe_variant(m, d, start=1), "positions start at 1: the first row is position 0 (sin 0 = 0, cos 0 = 1)"),
    ]
    expect_tensor(got, sinusoidal_positional_encoding(m, d), "the table", "(max_len, d_model)", mistakes, atol=1e-4, rtol=0)
    if got.dtype != torch.float32:
        raise CheckFailed(f"the table should be float32, got {got.dtype}: build it from "
                          "torch.arange(..., dtype=torch.float32)")


register(Exercise(
    test="test_positional_encoding", names=("positional_encoding",), cases=_pe_cases,
    call=lambda f, c: f(c["max_len"], c["d_model"]), judge=_pe_judge,
    forbidden=("sinusoidal", "PositionalEncoding"), allowed=("positional_encoding",)))


# --- contextual_vectors ---------------------------------------------------------------------------------------

def _modules(c):
    embed = nn.Embedding(len(WORDS), D)
    embed.load_state_dict({"weight": c["embed"]})
    attn = MultiHeadAttention(D, num_heads=2)
    attn.load_state_dict(c["attn"])
    return embed, attn


def _context_cases(g):
    sentences = ["cats chase dogs", "dogs chase cats", "cats chase mice", "Dogs chase cats", "mice fear cats",
                 "cats see dogs chase mice", "dogs"]
    length = int(torch.randint(2, 8, (1,), generator=g))
    sentences.append(" ".join(WORDS[i] for i in torch.randint(0, len(WORDS), (length,), generator=g).tolist()))
    cases = []
    for number, sentence in enumerate(sentences):
        if number in (0, 4, 7):  # three sets of weights: EMBED and ATTN as the lesson's random modules
            with torch.random.fork_rng():
                torch.manual_seed(_seeded(g))
                embed, attn = nn.Embedding(len(WORDS), D), MultiHeadAttention(D, num_heads=2)
            weights = {"embed": embed.weight.detach().clone(), "attn": {k: v.clone() for k, v in attn.state_dict().items()}}
        for positions in (False, True):
            cases.append({"sentence": sentence, "positions": positions, **weights})
    return cases


def _context_call(f, c):
    """Run the answer with the lesson's globals EMBED, ATTN, WORD_ID and D set to this case's, then put them back."""
    namespace = f.__globals__
    embed, attn = _modules(c)
    new = {"EMBED": embed, "ATTN": attn, "WORD_ID": {w: i for i, w in enumerate(WORDS)}, "D": D}
    missing = object()
    saved = {name: namespace.get(name, missing) for name in new}
    namespace.update(new)
    try:
        with torch.no_grad():
            return f(c["sentence"], positions=c["positions"])
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _context_judge(got, c):
    embed, attn = _modules(c)
    ids = torch.tensor([[WORDS.index(w) for w in c["sentence"].lower().split()]])
    pe = sinusoidal_positional_encoding(ids.size(1), D)
    with torch.no_grad():
        x = embed(ids)
        plain, with_pe = attn(x, x, x)[0], attn(x + pe, x + pe, x + pe)[0]
        scaled = x * math.sqrt(D) + (pe if c["positions"] else 0)
        mistakes = [
            (with_pe if not c["positions"] else None, "positions=False must leave the embeddings as they are: "
             "add the encoding only when `positions` is True"),
            (plain if c["positions"] else None, "positions=True did not change the output: add "
             "utils.sinusoidal_positional_encoding(L, D) to the embeddings before ATTN"),
            (plain + pe if c["positions"] else None, "the positions were added after attention: add them to the "
             "embeddings, before ATTN, so that attention can use them"),
            ((with_pe if c["positions"] else plain)[None], "the output is (1, L, D): return (L, D), the batch's only "
             "element ([0])"),
            (attn(scaled, scaled, scaled)[0], "the embeddings were scaled by √D: this exercise adds the encoding to "
             "EMBED's output as it is"),
        ]
    expect_tensor(got, with_pe if c["positions"] else plain, "the contextual vectors", "(L, D)", mistakes,
                  atol=1e-5, rtol=1e-5)


def _context_hint(case, error):
    if "KeyError" in error:
        return "look the words up in lower case (sentence.lower().split()): WORD_ID has 'dogs', not 'Dogs'"
    if "shape" in error or "size" in error:
        return "EMBED(ids) with ids (1, L) gives (1, L, D); utils.sinusoidal_positional_encoding(L, D) is (L, D) and broadcasts"
    return ""


register(Exercise(
    test="test_contextual_vectors", names=("contextual_vectors",), cases=_context_cases, call=_context_call,
    judge=_context_judge, on_error=_context_hint))


# --- encoder_layer ------------------------------------------------------------------------------------------------

def _layer_cases(g):
    cases = []
    for d_model, num_heads, d_ff, L in [(32, 4, 64, 7), (16, 2, 48, 9), (64, 8, 256, 9), (12, 3, 12, 6)]:
        with torch.random.fork_rng():
            torch.manual_seed(_seeded(g))
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
    missing, unexpected = (sorted({k.split(".")[0] for k in keys}) for keys in layer.load_state_dict(c["state"], strict=False))
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


# --- decoder_mask --------------------------------------------------------------------------------------------------

def _mask_cases(g):
    cases = [{"tgt_in": torch.tensor([[1, 7, 8, 9], [1, 5, 0, 0]]), "pad_id": 0}]
    for B, Lt, pad_id in [(1, 1, 0), (3, 9, 0), (4, 6, 2), (2, 17, 5)]:
        tgt_in = torch.randint(0, 8, (B, Lt), generator=g)
        tgt_in[:, 0] = 7
        cases.append({"tgt_in": tgt_in, "pad_id": pad_id})
    tgt_in = torch.randint(3, 20, (5, 11), generator=g)
    lengths = torch.randint(2, 12, (5,), generator=g)
    tgt_in[torch.arange(11)[None, :] >= lengths[:, None]] = 0
    tgt_in[:, 0] = 1
    cases.append({"tgt_in": tgt_in, "pad_id": 0, "note": "padded sentences"})
    return cases


def _mask_judge(got, c):
    tgt_in, pad_id = c["tgt_in"], c["pad_id"]
    Lt = tgt_in.size(1)
    ones = torch.ones(Lt, Lt, dtype=torch.bool)
    keys = padding_mask(tgt_in, pad_id)  # (B, 1, 1, Lt)
    ref = causal_mask(Lt) & keys
    mistakes = [
        (ones.triu() & keys, "the triangle points the wrong way (triu): position i may attend to j <= i, the lower "
         "triangle (tril); with triu it reads the future"),
        (ones.tril(-1) & keys, "the diagonal is False: a position may attend to itself (j <= i: tril(), diagonal 0)"),
        (ones.tril(1) & keys, "off by one: position i can see position i + 1, the word it must predict (use tril())"),
        (ones.tril() & (tgt_in != pad_id)[:, None, :, None], "padding is masked along the queries (rows); mask the "
         "keys (columns): (tgt_in != pad_id)[:, None, None, :]"),
        (ones.tril().expand(tgt_in.size(0), 1, Lt, Lt), "padding tokens can be attended to: combine the triangle "
         "with tgt_in != pad_id (&)"),
        (ones.tril() | keys, "combined with `or`: a key must be in the past AND not padding (&)"),
        (~ref, "the mask is inverted: True means 'may attend'"),
        ((ones.tril() & keys)[:, 0], "the heads' dimension is missing: return (B, 1, Lt, Lt)"),
    ]
    expect_tensor(got, ref, "the mask", "(B, 1, Lt, Lt)", mistakes, dtype_kind="bool")


register(Exercise(
    test="test_decoder_mask", names=("decoder_self_attention_mask",), cases=_mask_cases,
    call=lambda f, c: f(c["tgt_in"], c["pad_id"]), judge=_mask_judge,
    forbidden=("causal_mask", "generate_square_subsequent_mask"), allowed=("decoder_self_attention_mask",)))


# --- greedy_translate ------------------------------------------------------------------------------------------------

class _NoShortcut(Transformer):
    def greedy_decode(self, *args, **kwargs):
        raise AssertionError("write the loop with model.encode and model.decode")


def _tiny(state):
    model = _NoShortcut(11, 9, d_model=16, num_heads=2, num_layers=2, d_ff=32, dropout=0.0).eval()
    model.load_state_dict(state)
    return model


def _greedy_cases(g):
    cases = []
    for eos_bias, max_len, bos, eos in [(1.5, 8, 1, 2), (0.0, 5, 1, 2), (3.0, 10, 1, 2), (-5.0, 6, 1, 2), (1.0, 1, 1, 2),
                                        (2.0, 9, 3, 5)]:
        with torch.random.fork_rng():
            torch.manual_seed(_seeded(g))
            model = Transformer(11, 9, d_model=16, num_heads=2, num_layers=2, d_ff=32, dropout=0.0)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        state["generator.bias"][eos] += eos_bias  # sentences end at different lengths
        srcs = [torch.randint(3, 11, (int(torch.randint(1, 7, (1,), generator=g)),), generator=g) for _ in range(4)]
        cases.append({"state": state, "srcs": srcs, "bos_id": bos, "eos_id": eos, "max_len": max_len})
    return cases


def _greedy_call(f, c):
    model = _tiny(c["state"])
    return [f(model, src, c["bos_id"], c["eos_id"], c["max_len"]) for src in c["srcs"]]


@torch.no_grad()
def _greedy(model, src, bos, eos, max_len, position=-1, stop=True):
    memory, src_mask = model.encode(src[None])
    ys = [bos]
    for _ in range(max_len):
        next_id = int(model.decode(torch.tensor([ys]), memory, src_mask)[0, position].argmax())
        ys.append(next_id)
        if stop and next_id == eos:
            break
    return ys


def _greedy_judge(got, c):
    model, bos, eos, max_len = _tiny(c["state"]), c["bos_id"], c["eos_id"], c["max_len"]
    if not isinstance(got, list) or len(got) != len(c["srcs"]):
        raise CheckFailed("greedy_translate should return a list of ids for each sentence")
    for src, ids in zip(c["srcs"], got):
        if isinstance(ids, torch.Tensor):
            raise CheckFailed("return a Python list of ints (ys.tolist() or [int(i) for i in ...]), not a tensor")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise CheckFailed("return a list of Python ints: int(logits.argmax()), not tensors")
        expected = _greedy(model, src, bos, eos, max_len)
        ended = expected[-1] == eos
        mistakes = [
            (_greedy(model, src, bos, eos, max_len, stop=False), "it kept writing after <eos>: stop as soon as you "
             "append eos_id"),
            (_greedy(model, src, bos, eos, max_len, position=0), "the next word was read from the FIRST position's "
             "logits; it is scored at the last position: model.decode(...)[0, -1]"),
            (expected[1:], "the list should start with bos_id"),
            (expected[:-1] if ended else None, "the list should end with eos_id: append it, then stop"),
            (_greedy(model, src, bos, eos, max_len - 1) if not ended and max_len > 1 else None,
             f"one id too few: write up to max_len = {max_len} new ids after <bos>"),
            (_greedy(model, src, bos, eos, max_len + 1) if not ended else None,
             f"one id too many: write at most max_len = {max_len} new ids after <bos>"),
        ]
        expect_equal(ids, expected, f"the translation of {src.tolist()} (max_len={max_len}, eos_id={eos})",
                     [m for m in mistakes if m[0] is not None and m[0] != expected])


register(Exercise(
    test="test_greedy_translate", names=("greedy_translate",), cases=_greedy_cases, call=_greedy_call,
    judge=_greedy_judge, forbidden=("greedy_decode", "beam_search", "translate"), allowed=("greedy_translate",),
    on_error=lambda case, error: ("write the loop with model.encode and model.decode"
                                  if "greedy_decode" in error or "model.encode" in error else "")))
