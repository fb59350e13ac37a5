"""Checks of lesson 05's decoder-only exercises: next-token pairs, masks, a KV-cache step, sampling."""
import math

import torch

from ...attention import causal_mask, padding_mask
from ...sampling import next_token_probs
from ..compare import expect_tensor, expect_tuple
from ..core import CheckFailed, Exercise, randint, randn, register


# --- next_token_blocks ---------------------------------------------------------------------------------

def _blocks_cases(g):
    cases = [{"data": torch.arange(100, 120), "starts": torch.tensor([0, 5]), "block_size": 4}]
    for n, block_size, batch in [(50, 1, 3), (300, 17, 20), (1000, 64, 8), (40, 39, 2)]:
        data = torch.randint(0, 5000, (n,), generator=g)
        starts = torch.randint(0, n - block_size, (batch,), generator=g)
        starts[0] = n - block_size - 1  # the last block that still has a target for every input
        starts[-1] = 0
        cases.append({"data": data, "starts": starts, "block_size": block_size})
    return cases


def _blocks_reference(data, starts, T, shift=0):
    offsets = starts[:, None] + shift + torch.arange(T + 1)
    chunk = data[offsets.clamp(max=len(data) - 1)]
    return chunk[:, :-1], chunk[:, 1:]


def _blocks_judge(got, case):
    data, starts, T = case["data"], case["starts"], case["block_size"]
    expect_tuple(got, 2, "next_token_blocks")
    x, y = got
    ref_x, ref_y = _blocks_reference(data, starts, T)
    expect_tensor(x, ref_x, "the inputs x", "(B, block_size)",
                  [(ref_y, "x is shifted by one: x holds data[s : s + block_size], the targets start one later"),
                   (data[starts[:, None] + torch.arange(T + 1)], "x has block_size + 1 tokens: "
                    "data[s : s + block_size] stops before index s + block_size")], dtype_kind="integer")
    expect_tensor(y, ref_y, "the targets y", "(B, block_size)",
                  [(ref_x, "the targets equal the inputs: y must be shifted by one, "
                    "y = data[s + 1 : s + block_size + 1]"),
                   (data[starts[:, None] + torch.arange(T - 1) + 1] if T > 1 else None,
                    "y is one token short: it must end at s + block_size + 1 (slices exclude their end)"),
                   (data[(starts[:, None] + torch.arange(T) - 1).clamp(min=0)], "y is shifted the wrong way: "
                    "the target of x[t] is the token after it, data[s + t + 1]")], dtype_kind="integer")
    if x.dtype != torch.long or y.dtype != torch.long:
        raise CheckFailed(f"x and y should be torch.long token ids, got {x.dtype} and {y.dtype}")


register(Exercise(
    test="test_next_token_blocks", names=("next_token_blocks",), cases=_blocks_cases,
    call=lambda f, c: f(c["data"], c["starts"], c["block_size"]), judge=_blocks_judge,
    forbidden=("blocks_at", "get_batch", "lm_batches"),
    on_error=lambda case, error: "stack expects each tensor to be equal size: a slice ran past the data's end? "
    "With start s the inputs are data[s : s + block_size] and the targets data[s + 1 : s + block_size + 1]"
    if "equal size" in error else ""))


# --- self_attention_mask ---------------------------------------------------------------------------------

def _mask_cases(g):
    cases = [{"valid": torch.tensor([[True, True, True]]), "causal": flag} for flag in (True, False)]
    for B, L in [(1, 1), (4, 7), (3, 16), (2, 5)]:
        lengths = torch.randint(1, L + 1, (B,), generator=g)
        lengths[0] = max(1, L - 2)  # some padding in most cases
        valid = torch.arange(L) < lengths[:, None]  # padding at the end of each row
        for flag in (True, False):
            cases.append({"valid": valid, "causal": flag})
    valid = torch.rand(3, 9, generator=g) < 0.7
    valid[:, 0] = True
    valid[:, -1] = False
    cases += [{"valid": valid, "causal": flag, "note": "padding anywhere"} for flag in (True, False)]
    return cases


def _mask_judge(got, case):
    valid, causal = case["valid"], case["causal"]
    B, L = valid.shape
    keys = padding_mask(valid).expand(B, 1, L, L)
    tril = causal_mask(L)
    expected = keys & tril if causal else keys
    mistakes = []
    if causal:
        mistakes += [(keys & tril.T, "the causal mask includes the future: query i may attend to keys j <= i "
                      "(tril, the lower triangle), not j >= i (triu)"),
                     (keys & torch.ones(L, L, dtype=torch.bool).tril(-1), "the diagonal is excluded: a token may "
                      "attend to itself (j <= i, tril with no offset)"),
                     (tril.expand(B, 1, L, L), "padding is not hidden: key j must also be a real token (valid[b, j])"),
                     (~(keys & tril), "the mask is inverted: True means 'may attend'")]
    else:
        mistakes += [(keys & tril, "this is causal although causal=False: a bidirectional mask lets every query "
                      "see every real key"),
                     (torch.ones(B, 1, L, L, dtype=torch.bool), "padding is not hidden: key j must be a real token")]
    queries = valid[:, None, :, None].expand(B, 1, L, L)
    mistakes += [((queries & tril) if causal else queries, "padding is hidden along the query axis: the mask "
                  "hides padded keys, so valid must index the last axis (valid[:, None, None, :])"),
                 ((queries & keys & tril) if causal else (queries & keys), "padded queries are hidden too: the "
                  "exercise hides padded keys only (key j is real), every query row keeps its real keys"),
                 (expected[:, 0], "the head axis is missing: return (B, 1, L, L)")]
    expect_tensor(got, expected, f"self_attention_mask(valid, causal={causal})", "(B, 1, L, L)", mistakes,
                  dtype_kind="bool")


register(Exercise(
    test="test_self_attention_mask", names=("self_attention_mask",), cases=_mask_cases,
    call=lambda f, c: f(c["valid"], c["causal"]), judge=_mask_judge,
    forbidden=("causal_mask", "padding_mask", "scaled_dot_product_attention")))


# --- attend_with_cache ------------------------------------------------------------------------------------

def _cache_cases(g):
    cases = []
    for B, H, t, d in [(2, 3, 0, 4), (2, 3, 3, 4), (1, 1, 0, 1), (1, 1, 2, 1), (3, 4, 4, 8), (2, 2, 19, 16),
                       (2, 2, 1, 5)]:
        q, k, v = randn(g, B, H, 1, d), randn(g, B, H, 1, d, scale=3.0), randn(g, B, H, 1, d)
        cases.append({"q": q, "k": k, "v": v, "k_cache": randn(g, B, H, t, d, scale=3.0),
                      "v_cache": randn(g, B, H, t, d)})
    return cases


def _attend(q, keys, values, scale):
    return torch.softmax(q @ keys.transpose(-2, -1) / scale, dim=-1) @ values


def _cache_judge(got, case):
    q, k, v, kc, vc = case["q"], case["k"], case["v"], case["k_cache"], case["v_cache"]
    expect_tuple(got, 3, "attend_with_cache")
    out, k_new, v_new = got
    keys, values = torch.cat([kc, k], dim=2), torch.cat([vc, v], dim=2)
    for name, got_cache, old, new, ref in [("k_cache", k_new, kc, k, keys), ("v_cache", v_new, vc, v, values)]:
        wrong_axes = [(torch.cat([old, new], dim=dim), f"the new entry was appended along dim {dim}: append along "
                       "the length axis, dim=2 of (B, H, t, d)") for dim in (0, 1, 3) if
                      all(old.size(i) == new.size(i) for i in range(4) if i != dim)]
        expect_tensor(got_cache, ref, f"the updated {name}", "(B, H, t + 1, d)",
                      wrong_axes + [(torch.cat([new, old], dim=2) if old.size(2) else None,
                                     "the new entry was put first: "
                                     "append it at the end (torch.cat([cache, new], dim=2))"),
                                    (old, "the cache was not updated: append the new token's entry to it")],
                      atol=0, rtol=0)
    d = q.size(-1)
    expected = _attend(q, keys, values, math.sqrt(d))
    mistakes = [(_attend(q, keys, values, 1.0), "scores are √d too large: divide q·k by √d"),
                (_attend(q, keys, values, d), "scores are divided by d, not by √d"),
                (torch.softmax(q @ keys.transpose(-2, -1) / math.sqrt(d), dim=-2) @ values,
                 "the softmax runs over the wrong axis: normalise over the keys (dim=-1)")]
    if kc.size(2):
        mistakes.append((_attend(q, kc, vc, math.sqrt(d)), "the new token does not attend to itself: append its key "
                         "and value to the caches before attending"))
    expect_tensor(out, expected, "the output", "(B, H, 1, d)", mistakes, atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_attend_with_cache", names=("attend_with_cache",), cases=_cache_cases,
    call=lambda f, c: f(c["q"], c["k"], c["v"], c["k_cache"], c["v_cache"]), judge=_cache_judge,
    forbidden=("scaled_dot_product_attention", "MultiheadAttention", "MultiHeadAttention", "KVCache"),
    on_error=lambda case, error: "append the new key and value along the length axis, dim=2 of (B, H, t, d)"
    if "Sizes of tensors must match" in error or "size of tensor" in error or "cat" in error else ""))


# --- sampling_probs ----------------------------------------------------------------------------------------

def _sampling_cases(g):
    cases = [{"logits": torch.tensor([[2.0, 1.0, 0.0, -1.0]]), "temperature": 1.0, "top_k": None},
             {"logits": torch.tensor([[2.0, 1.0, 0.0, -1.0]]), "temperature": 0.5, "top_k": 2},
             {"logits": torch.tensor([[1.0, 3.0, 3.0, 0.0, 3.0]]), "temperature": 1.0, "top_k": 2,
              "note": "ties with the k-th largest are kept"}]
    for B, vocab in [(1, 5), (4, 50), (3, 1000)]:
        logits = randn(g, B, vocab, scale=3.0)
        for temperature, top_k in [(0.3, None), (1.7, None), (1.0, 1), (0.3, 3), (1.7, 3), (1.0, vocab),
                                   (0.6, vocab + 5), (1.3, randint(g, 2, vocab))]:
            cases.append({"logits": logits, "temperature": temperature, "top_k": top_k})
    return cases


def _kept(probs):
    return (probs > 0).sum(-1)


def _sampling_judge(got, case):
    logits, T, k = case["logits"], case["temperature"], case["top_k"]
    expected = next_token_probs(logits, T, k)
    mistakes = []
    if T != 1.0:
        mistakes += [(next_token_probs(logits, 1.0, k), f"the temperature is ignored: divide the logits by "
                      f"temperature={T} before the softmax"),
                     (next_token_probs(logits * T, 1.0, k), "the logits were multiplied by the temperature: divide "
                      "them by it (temperature < 1 sharpens)")]
    if k is not None:
        mistakes.append((next_token_probs(logits, T, None), f"top_k={k} was ignored: set every logit below the "
                         "k-th largest to -inf"))
        if k < logits.size(-1):
            mistakes.append((next_token_probs(logits, T, k + 1), f"top-k keeps k+1 tokens: keep the {k} largest "
                             "(and ties with the k-th), not one more"))
        if k > 1:
            mistakes.append((next_token_probs(logits, T, k - 1), f"top-k keeps k-1 tokens: keep the {k} largest; "
                             "compare with `< kth`, not `<= kth`"))
        full = next_token_probs(logits, T, None)
        kept = expected > 0
        mistakes.append((full * kept, "the probabilities outside the top k were zeroed after the softmax without "
                         "renormalising: set the logits to -inf before the softmax, so the kept ones sum to 1"))
    expect_tensor(got, expected, f"sampling_probs(logits, temperature={T}, top_k={k})", "(B, V)", mistakes,
                  atol=1e-6, rtol=1e-4)


register(Exercise(
    test="test_sampling_probs", names=("sampling_probs",), cases=_sampling_cases,
    call=lambda f, c: f(c["logits"], c["temperature"], c["top_k"]), judge=_sampling_judge,
    forbidden=("next_token_probs", "sample_next_token", "generate"),
    on_error=lambda case, error: f"top_k={case['top_k']} is more than the vocabulary ({case['logits'].size(-1)}): "
    "then every token is kept" if "out of range" in error and case["top_k"] else ""))
