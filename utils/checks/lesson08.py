"""Checks of lesson 08's exercises (BPE, RMSNorm, SwiGLU, RoPE, GQA, top-p, schedule, training).

Checks of lesson 08's exercises: byte-level BPE (train, encode), RMSNorm, SwiGLU, RoPE, grouped-query
attention, top-p filtering, the warm-up + cosine schedule and the training loop."""
import math
from collections import Counter

import torch
import torch.nn.functional as F

from ..bpe import ByteBPE, chunks, merge_pair
from ..modern import ModernGPT
from ..sampling import top_p_filter
from ..batching import lm_batches
from ..training import warmup_cosine
from .compare import expect_equal, expect_tensor
from .core import CheckFailed, Exercise, register


def _randn(g, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=g)


def _int(g, low, high):
    return int(torch.randint(low, high, (1,), generator=g))


WORDS = ["the", "value", "return", "é", "漢字", "42", "  ", "!", "a_b", "None", "🙂", "tie", "abab", "aaa", "\n"]


def _text(g, n):
    return " ".join(WORDS[_int(g, 0, len(WORDS))] for _ in range(n)) + "\n\nabab baba"


# --- train_merges ------------------------------------------------------------------------------------------

def _train(text, num_merges, tie="smallest", chunked=True):
    pieces = chunks(text) if chunked else [text]
    words = Counter(tuple(c.encode("utf-8")) for c in pieces)
    merges = []
    for k in range(num_merges):
        counts = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += n
        if not counts:
            break
        if tie == "smallest":
            best = min(counts, key=lambda pair: (-counts[pair], pair))
        elif tie == "largest":
            best = max(counts, key=lambda pair: (counts[pair], pair))
        else:  # the first seen (Counter.most_common)
            best = counts.most_common(1)[0][0]
        merges.append(best)
        merged = Counter()
        for word, n in words.items():
            merged[tuple(merge_pair(list(word), best, 256 + k))] += n
        words = merged
    return [list(p) for p in merges]


def _merges_cases(g):
    cases = [{"text": "aaabdaaabac", "num_merges": 3}, {"text": "ab", "num_merges": 5,
                                                         "note": "stop when every chunk is one token"}]
    for words, n in [(60, 5), (150, 20), (200, 40)]:
        cases.append({"text": _text(g, words), "num_merges": n})
    return cases


def _merges_judge(got, case):
    text, n = case["text"], case["num_merges"]
    got = [list(p) for p in got] if isinstance(got, (list, tuple)) else got
    expected = _train(text, n)
    expect_equal(got, expected, f"train_merges(text, {n})",
                 [(_train(text, n, tie="largest"), "ties are broken the wrong way (the larger pair, or the pair "
                   "seen first): among equally frequent pairs take the smallest, min(counts, key=lambda p: (-counts[p], p))"),
                  (_train(text, n, tie="first"), "ties are broken the wrong way (the pair seen first, "
                   "most_common): among equally frequent pairs take the smallest"),
                  (_train(text, n, chunked=False), "merges cross chunks: count pairs inside each chunk of "
                   "chunks(text) only, never across a chunk boundary"),
                  (_train(text, n, tie="largest", chunked=False), "merges cross chunks (count pairs inside each "
                   "chunk only) and ties go to the larger pair (take the smallest)")])


register(Exercise(
    test="test_train_merges", names=("train_merges",), cases=_merges_cases,
    call=lambda f, c: (f.__globals__.setdefault("chunks", chunks), f(c["text"], c["num_merges"]))[1],
    judge=_merges_judge, forbidden=("ByteBPE", "pair_counts")))


# --- bpe_encode and bpe_decode ---------------------------------------------------------------------------

def _encode(text, merges, chunked=True, pick="lowest", offset=256):
    ranks = {tuple(pair): k for k, pair in enumerate(merges)}
    out = []
    for chunk in (chunks(text) if chunked else [text]):
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            known = [p for p in zip(ids, ids[1:]) if p in ranks]
            if not known:
                break
            pair = min(known, key=ranks.get) if pick == "lowest" else max(known, key=ranks.get)
            ids = merge_pair(ids, pair, offset + ranks[pair])
        out.extend(ids)
    return out


def _encode_cases(g):
    cases = [{"text": "abcab", "merges": [[97, 98], [256, 99]]},
             {"text": "aaab aab", "merges": [[97, 97], [256, 97], [97, 98]]}]
    for words, n in [(80, 30), (150, 60)]:
        merges = _train(_text(g, words), n)
        for text in [_text(g, 40), "héllo wörld 🙂 漢字 \t\n  x", "The return value is None.  Also: a_b == 0x1F!"]:
            cases.append({"text": text, "merges": merges})
    return cases


def _encode_call(encode, decode, case):
    for name, helper in (("chunks", chunks), ("merge_pair", merge_pair)):
        encode.__globals__.setdefault(name, helper)
    merges = [tuple(p) for p in case["merges"]]
    ids = encode(case["text"], merges)
    return {"ids": ids, "decoded": decode(ByteBPE(merges).encode(case["text"]), merges)}


def _encode_judge(got, case):
    text, merges = case["text"], [tuple(p) for p in case["merges"]]
    ids = got["ids"]
    ids = list(ids) if isinstance(ids, (list, tuple)) else ids
    expected = ByteBPE(merges).encode(text)
    expect_equal(ids, expected, "bpe_encode(text, merges)",
                 [(_encode(text, merges, chunked=False), "merges cross chunks: encode each chunk of chunks(text) "
                   "separately and join the ids"),
                  (_encode(text, merges, pick="highest"), "the pair merged first must be the one learned first "
                   "(the lowest rank), not the latest"),
                  (_encode(text, merges, offset=0), "merge k creates id 256 + k, not k")])
    expect_equal(got["decoded"], text, "bpe_decode(bpe_encode(text, merges), merges)")


register(Exercise(
    test="test_bpe_encode", names=("bpe_encode", "bpe_decode"), cases=_encode_cases, call=_encode_call,
    judge=_encode_judge, forbidden=("ByteBPE",)))


# --- rms_norm ------------------------------------------------------------------------------------------------

def _rms_cases(g):
    cases = [{"x": torch.tensor([[3.0, -3.0, 3.0, -3.0]]), "weight": torch.ones(4), "eps": 1e-6}]
    for shape, eps, scale, shift in [((2, 5, 16), 1e-6, 3.0, 2.0), ((7, 3), 1e-5, 1.0, 0.5),
                                     ((1, 1, 1, 8), 1e-2, 0.2, 0.1), ((4, 6), 0.5, 0.5, 1.0)]:
        cases.append({"x": _randn(g, *shape, scale=scale) + shift, "weight": _randn(g, shape[-1]), "eps": eps})
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
        cases.append({"x": _randn(g, 2, 4, d), "w1": _randn(g, f, d, scale=d ** -0.5),
                      "w3": _randn(g, f, d, scale=d ** -0.5), "w2": _randn(g, d, f, scale=f ** -0.5)})
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
        x = _randn(g, *shape)
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
        cases.append({"q": _randn(g, B, H, L, hd), "k": _randn(g, B, Hkv, L, hd), "v": _randn(g, B, Hkv, L, hd)})
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


# --- top_p_filter ------------------------------------------------------------------------------------------------

def _top_p_cases(g):
    cases = [{"logits": torch.log(torch.tensor([[0.6, 0.3, 0.07, 0.03]])), "top_p": 0.8},
             {"logits": torch.log(torch.tensor([[0.03, 0.3, 0.07, 0.6]])), "top_p": 0.5, "note": "unsorted"}]
    for p in (0.05, 0.3, 0.9, 0.99, 1.0):
        cases.append({"logits": _randn(g, 5, 50, scale=3.0), "top_p": p})
    return cases


def _top_p_variant(logits, p, rule):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    cumulative = probs.cumsum(dim=-1)
    if rule == "crossing":
        drop_sorted = cumulative > p
    elif rule == "inverted":
        drop_sorted = cumulative < p
    else:  # cumulative sum of the logits themselves
        drop_sorted = (sorted_logits.cumsum(dim=-1) - sorted_logits) >= p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def _top_p_judge(got, case):
    logits, p = case["logits"], case["top_p"]
    expect_tensor(got, top_p_filter(logits, p), f"top_p_filter(logits, {p})", "(B, V)",
                  [(_top_p_variant(logits, p, "crossing"), "the token that crosses top_p is dropped: keep the "
                    "fewest most likely tokens whose probabilities sum to >= top_p, so the crossing one stays"),
                   (_top_p_variant(logits, p, "inverted"), "it keeps the tokens whose cumulative probability is "
                    ">= top_p: those are the ones to drop (the unlikely tail)"),
                   (_top_p_variant(logits, p, "logits"), "the cumulative sum runs over the logits: turn them into "
                    "probabilities (softmax) first")], atol=1e-6, rtol=1e-6)


register(Exercise(
    test="test_top_p_filter", names=("top_p_filter",), cases=_top_p_cases,
    call=lambda f, c: f(c["logits"], c["top_p"]), judge=_top_p_judge,
    forbidden=("top_p_filter", "sampling_probs")))


# --- lr_multiplier ---------------------------------------------------------------------------------------------

def _lr_cases(g):
    cases = [{"warmup_steps": 10, "total_steps": 110, "min_ratio": 0.1}, {"warmup_steps": 1, "total_steps": 50,
                                                                          "min_ratio": 0.0},
             {"warmup_steps": 20, "total_steps": 20, "min_ratio": 0.1}]
    for _ in range(2):
        w = _int(g, 2, 15)
        cases.append({"warmup_steps": w, "total_steps": w + _int(g, 5, 60),
                      "min_ratio": round(float(torch.rand(1, generator=g)) * 0.5, 3)})
    return cases


def _lr_call(f, c):
    w, t, m = c["warmup_steps"], c["total_steps"], c["min_ratio"]
    return torch.tensor([float(f(s, w, t, m)) for s in range(t + 3)], dtype=torch.float64)


def _lr_curve(w, t, m, rule=""):
    values = []
    for s in range(t + 3):
        if s < w:
            values.append(s / w if rule == "warmup" else (s + 1) / w)
            continue
        progress = (s - w) / max(1, t - w)
        if rule != "unclamped":
            progress = min(1.0, progress)
        floor = 0.0 if rule == "floor" else m
        values.append(floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    return torch.tensor(values, dtype=torch.float64)


def _lr_judge(got, case):
    w, t, m = case["warmup_steps"], case["total_steps"], case["min_ratio"]
    expected = torch.tensor([warmup_cosine(s, w, t, m) for s in range(t + 3)], dtype=torch.float64)
    expect_tensor(got, expected, f"lr_multiplier(step, {w}, {t}, {m}) for step = 0 .. {t + 2}", "",
                  [(_lr_curve(w, t, m, "warmup"), "the warm-up is off by one: step s of the warm-up gives "
                    "(s + 1) / warmup_steps, so the first step does not get 0 and the last reaches 1"),
                   (_lr_curve(w, t, m, "floor") if m else None, "there is no floor: the cosine decays to min_ratio, "
                    "min_ratio + (1 - min_ratio) * 0.5 * (1 + cos(pi * progress))"),
                   (_lr_curve(w, t, m, "unclamped"), "after total_steps the cosine rises again: clamp the "
                    "progress at 1 (min(1.0, progress))")], atol=1e-12, rtol=0)


register(Exercise(
    test="test_lr_multiplier", names=("lr_multiplier",), cases=_lr_cases, call=_lr_call, judge=_lr_judge,
    forbidden=("warmup_cosine", "LambdaLR", "lr_scheduler")))


# --- train_lm --------------------------------------------------------------------------------------------------

def _lm_cases(g):
    cases = []
    for clip, warmup in [(0.05, 3), (1.0, 1), (0.2, 4)]:
        cases.append({"seed": _int(g, 0, 2 ** 31), "ids": torch.randint(0, 30, (400,), generator=g),
                      "grad_clip": clip, "warmup_steps": warmup, "lr": 5e-3, "steps": 8})
    return cases


def _lm_model(case):
    torch.manual_seed(case["seed"])
    return ModernGPT(30, 12, 16, 2, 2, 24, num_kv_heads=1)


def _lm_call(f, case):
    model = _lm_model(case)
    losses = f(model, lm_batches(case["ids"], 12, 4, seed=3), steps=case["steps"], lr=case["lr"],
               warmup_steps=case["warmup_steps"], grad_clip=case["grad_clip"])
    return {"losses": torch.tensor([float(v) for v in losses], dtype=torch.float64),
            "params": [p.detach().clone() for p in model.parameters()]}


def _lm_train(case, rule=""):
    model = _lm_model(case)
    steps, lr, warmup, clip = case["steps"], case["lr"], case["warmup_steps"], case["grad_clip"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    batches = lm_batches(case["ids"], 12, 4, seed=3)
    losses = []
    for step in range(steps):
        x, y = batches()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if rule != "no clip":
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        if rule == "no warmup":
            multiplier = warmup_cosine(step, 0, steps)
        elif rule == "after step":
            multiplier = 1.0 if step == 0 else warmup_cosine(step - 1, warmup, steps)
        else:
            multiplier = warmup_cosine(step, warmup, steps)
        if rule != "no schedule":
            for group in optimizer.param_groups:
                group["lr"] = lr * multiplier
        optimizer.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64), [p.detach() for p in model.parameters()]


def _lm_judge(got, case):
    losses, params = got["losses"], got["params"]
    expected, ref_params = _lm_train(case)
    mistakes = [(_lm_train(case, rule)[0], message) for rule, message in [
        ("no clip", "the gradients are not clipped: torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip) "
                    "after backward, before optimizer.step()"),
        ("no warmup", "there is no warm-up: the learning rate must be lr * lr_multiplier(step, warmup_steps, steps)"),
        ("after step", "the learning rate is set after optimizer.step(): step s must already use "
                       "lr * lr_multiplier(s, ...), so set it before the step"),
        ("no schedule", "the learning rate stays constant: set each param group's lr to "
                        "lr * lr_multiplier(step, warmup_steps, steps) before optimizer.step()")]]
    expect_tensor(losses, expected, f"the {case['steps']} losses", "", mistakes, atol=1e-4, rtol=0)
    if len(params) != len(ref_params):
        raise CheckFailed("the model's parameters changed in number: train the model you are given")
    for number, (p, q) in enumerate(zip(params, ref_params)):
        expect_tensor(p, q, f"parameter {number} after training", "", atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_train_lm", names=("train_lm",), cases=_lm_cases, call=_lm_call, judge=_lm_judge,
    forbidden=("warmup_cosine", "LambdaLR", "lr_scheduler", "History")))
