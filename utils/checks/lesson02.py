"""Checks of lesson 02's exercises: scores, a stable softmax, masked scaled dot-product attention, entropy."""
import math

import torch

from ..attention import causal_mask, scaled_dot_product_attention
from .compare import expect_tensor, expect_tuple
from .core import CheckFailed, Exercise, randn, register



# --- dot_product_scores -------------------------------------------------------------------------------

def _scores_cases(g):
    cases = [{"query": torch.tensor([[1.0, 0.0], [1.0, 2.0]]),
              "key": torch.tensor([[3.0, 1.0], [0.0, -1.0], [1.0, 1.0]])}]
    for shape_q, shape_k in [((1, 1), (1, 1)), ((7, 5), (4, 5)), ((2, 3, 6, 8), (2, 3, 9, 8)),
                             ((4, 1, 16), (4, 11, 16))]:
        cases.append({"query": randn(g, *shape_q), "key": randn(g, *shape_k)})
    cases.append({"query": torch.ones(2, 3), "key": torch.ones(2, 4), "raises": "ValueError"})
    cases.append({"query": torch.ones(2, 5, 3), "key": torch.ones(2, 5, 2), "raises": "ValueError"})
    return cases


def _scores_judge(got, case):
    q, k = case["query"], case["key"]
    mistakes = [(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), "these are scaled by 1/√d; this exercise asks "
                 "for the raw dot products (the scaling comes in scaled_dot_product_attention)")]
    if q.shape == k.shape:
        mistakes.append((q.transpose(-2, -1) @ k, "you transposed the query instead of the key: scores[i, j] "
                         "is query i · key j, so transpose the key's last two dimensions"))
    expect_tensor(got, torch.einsum("...id,...jd->...ij", q, k), "scores", "(..., Lq, Lk)", mistakes)


register(Exercise(
    test="test_dot_product_scores", names=("dot_product_scores",), cases=_scores_cases,
    call=lambda f, c: f(c["query"], c["key"]), judge=_scores_judge,
    on_error=lambda case, error: "" if "ValueError" in error else (
        f"expected scores of shape {tuple(torch.einsum('...id,...jd->...ij', case['query'], case['key']).shape)} "
        "(..., Lq, Lk): query (..., Lq, d) @ the key with only its last two dimensions transposed "
        "(key.transpose(-2, -1)), which works for any number of batch dimensions")))


# --- stable_softmax -------------------------------------------------------------------------------------

def _softmax_cases(g):
    cases = [{"scores": torch.tensor([1000.0, 1001.0, 1002.0]), "dim": -1},
             {"scores": torch.tensor([[2.0, float("-inf"), 0.0]]), "dim": -1}]
    for shape, dim, scale in [((5,), 0, 1.0), ((3, 7), -1, 1e4), ((3, 7), 0, 50.0), ((2, 4, 6, 5), 1, 300.0),
                              ((2, 4, 6, 5), -1, 1.0)]:
        cases.append({"scores": randn(g, *shape, scale=scale), "dim": dim})
    s = randn(g, 4, 9, scale=100.0)
    s[torch.rand(4, 9, generator=g) < 0.4] = float("-inf")
    s[:, 0] = 3.0  # every row keeps one finite score
    cases.append({"scores": s, "dim": -1, "note": "rows with -inf scores"})
    return cases


def _softmax_judge(got, case):
    s, dim = case["scores"], case["dim"]
    other = 0 if dim in (-1, s.dim() - 1) and s.dim() > 1 else -1
    mistakes = []
    if s.dim() > 1:
        mistakes.append((torch.softmax(s, dim=other), f"normalised along dim {other}, not along dim={dim}: "
                         "use the `dim` argument in max and sum"))
    finite = s.clamp(min=-1e30)
    mistakes.append((torch.exp(finite - finite.max()) / torch.exp(finite - finite.max()).sum(dim=dim, keepdim=True),
                     "you subtracted the maximum of the whole tensor: subtract each row's maximum "
                     "(max along `dim`, keepdim=True), or small rows underflow to 0"))
    expect_tensor(got, torch.softmax(s, dim=dim), "softmax", "(same shape as the scores)", mistakes)
    sums = got.sum(dim=dim)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        raise CheckFailed("rows do not sum to 1 along `dim`")


register(Exercise(
    test="test_stable_softmax", names=("stable_softmax",), cases=_softmax_cases,
    call=lambda f, c: f(c["scores"], dim=c["dim"]), judge=_softmax_judge,
    forbidden=("softmax", "Categorical"), allowed=("stable_softmax",)))


# --- scaled_dot_product_attention ------------------------------------------------------------------------------

def _attention_cases(g):
    causal = causal_mask(5)
    cases = [{"query": randn(g, 2, 5, 8), "key": randn(g, 2, 5, 8), "value": randn(g, 2, 5, 3), "mask": causal}]
    for batch, lq, lk, d_k, d_v in [((), 1, 1, 1, 1), ((3,), 4, 9, 16, 5), ((2, 4), 7, 7, 32, 32),
                                    ((1,), 12, 3, 64, 2)]:
        q, k, v = randn(g, *batch, lq, d_k), randn(g, *batch, lk, d_k, scale=3.0), randn(g, *batch, lk, d_v)
        cases.append({"query": q, "key": k, "value": v, "mask": None})
        mask = torch.rand(*batch, lq, lk, generator=g) < 0.5
        mask[..., 0] = True  # every query keeps at least one key
        cases.append({"query": q, "key": k, "value": v, "mask": mask})
    pad = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]], dtype=torch.bool)[:, None, :]
    cases.append({"query": randn(g, 3, 6, 8), "key": randn(g, 3, 6, 8), "value": randn(g, 3, 6, 4), "mask": pad,
                  "note": "a (B, 1, Lk) padding mask"})
    return cases


def _attention_judge(got, case):
    q, k, v, mask = case["query"], case["key"], case["value"], case["mask"]
    expect_tuple(got, 2, "scaled_dot_product_attention")
    out, weights = got
    ref_out, ref_w = scaled_dot_product_attention(q, k, v, mask=mask)
    d_k = q.size(-1)
    unscaled_w = scaled_dot_product_attention(q * math.sqrt(d_k), k, v, mask=mask)[1]
    wrong_scale_w = scaled_dot_product_attention(q / math.sqrt(d_k), k, v, mask=mask)[1]
    mistakes = [(unscaled_w, "scores are √d_k too large: did you divide by √d_k (the square root of the key size)?"),
                (wrong_scale_w, "scores are divided by d_k, not by √d_k")]
    if mask is not None:
        mistakes += [(scaled_dot_product_attention(q, k, v)[1], "masked positions got weight: apply the mask "
                      "(True = may attend) before the softmax"),
                     (scaled_dot_product_attention(q, k, v, mask=~mask)[1] if bool((~mask).any(-1).all()) else None,
                      "the mask is inverted: True means 'may attend', so fill the scores where the mask is False")]
    expect_tensor(weights, ref_w, "the attention weights", "(..., Lq, Lk)", mistakes, atol=1e-5, rtol=1e-4)
    if weights.shape == ref_w.shape and not torch.allclose(weights.sum(-1), torch.ones(ref_w.shape[:-1]), atol=1e-4):
        raise CheckFailed("the weights' rows do not sum to 1 along the key axis")
    expect_tensor(out, ref_out, "the output", "(..., Lq, d_v)",
                  [(weights.transpose(-2, -1) @ v if weights.size(-1) == weights.size(-2) else None,
                    "you multiplied the transposed weights by the values: output = weights @ value")],
                  atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_scaled_dot_product_attention", names=("scaled_dot_product_attention",), cases=_attention_cases,
    call=lambda f, c: f(c["query"], c["key"], c["value"], mask=c["mask"]), judge=_attention_judge,
    forbidden=("scaled_dot_product_attention", "MultiheadAttention", "MultiHeadAttention"),
    allowed=("stable_softmax", "dot_product_scores")))


# --- attention_entropy ------------------------------------------------------------------------------------------

def _entropy_cases(g):
    cases = [{"weights": torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]])}]
    for shape in [(6,), (5, 11), (2, 3, 4, 7)]:
        w = torch.softmax(randn(g, *shape, scale=3.0), dim=-1)
        w = w * (torch.rand(shape, generator=g) < 0.7)  # knock out some entries, as a mask would
        w[..., 0] += 1e-3
        cases.append({"weights": w / w.sum(dim=-1, keepdim=True), "note": "rows with zeros"})
    return cases


def _entropy_judge(got, case):
    w = case["weights"]
    safe = w.clamp(min=1e-30)
    mistakes = [(-(w * torch.log2(safe)).sum(-1), "this is in bits (log2); the exercise asks for nats (natural log)"),
                ((w * torch.log(safe)).sum(-1), "the sign is flipped: entropy is -Σ p log p, which is ≥ 0"),
                (-(w * torch.log(safe)).sum(0) if w.dim() > 1 else None,
                 "summed over the wrong axis: one entropy per row (sum over the last dim)")]
    expect_tensor(got, torch.distributions.Categorical(probs=w).entropy(), "the entropies", "(one per row)", mistakes)


register(Exercise(
    test="test_attention_entropy", names=("attention_entropy",), cases=_entropy_cases,
    call=lambda f, c: f(c["weights"]), judge=_entropy_judge, forbidden=("entropy", "Categorical"),
    allowed=("attention_entropy",)))


# --- additive_attention (Bahdanau, 2014) ------------------------------------------------------------------------

def _additive_cases(g):
    cases = []
    for batch, src_len, state_dim, memory_dim, attn_dim in [(1, 1, 1, 1, 1), (2, 5, 6, 4, 3), (3, 9, 16, 8, 12),
                                                           (4, 7, 8, 8, 8)]:
        case = {"state": randn(g, batch, state_dim), "memory": randn(g, batch, src_len, memory_dim),
                "W": randn(g, attn_dim, state_dim), "U": randn(g, attn_dim, memory_dim),
                "v": randn(g, attn_dim, scale=2.0), "mask": None}
        cases.append(case)
        if src_len > 1:
            lengths = torch.randint(1, src_len + 1, (batch,), generator=g)
            lengths[0] = max(1, src_len - 2)  # at least one row with padding
            mask = torch.arange(src_len)[None, :] < lengths[:, None]
            cases.append({**case, "mask": mask, "note": "right-padded sentences (mask True = a real word)"})
    return cases


def _additive_judge(got, case):
    from ..seq2seq import additive_attention
    state, memory, W, U, v, mask = (case[k] for k in ("state", "memory", "W", "U", "v", "mask"))
    expect_tuple(got, 2, "additive_attention")
    context, weights = got
    ref_context, ref_weights = additive_attention(state, memory, W, U, v, mask)
    raw = ((state @ W.T)[:, None, :] + memory @ U.T) @ v  # no tanh
    no_tanh = raw.masked_fill(~mask, float("-inf")) if mask is not None else raw
    mistakes = [(no_tanh.softmax(-1), "the scores skip the tanh: score_j = v · tanh(W s + U h_j)")]
    if mask is not None:
        mistakes += [(additive_attention(state, memory, W, U, v)[1],
                      "padded positions got weight: fill the scores where the mask is False with -inf "
                      "before the softmax"),
                     (additive_attention(state, memory, W, U, v, ~mask)[1] if bool((~mask).any(-1).all()) else None,
                      "the mask is inverted: True means 'a real word', so fill the scores where the mask is False")]
    if state.size(0) > 1:
        full = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v
        mistakes.append(((full.masked_fill(~mask, float("-inf")) if mask is not None else full).softmax(dim=0),
                         "the softmax runs over the batch: normalise over the source positions (the last axis)"))
    expect_tensor(weights, ref_weights, "the attention weights", "(B, S)", mistakes, atol=1e-5, rtol=1e-4)
    expect_tensor(context, ref_context, "the context", "(B, Hm)",
                  [(memory.mean(dim=1), "the context is the plain mean of the memory: weight each h_j by a_j"),
                   (memory.sum(dim=1), "the context is the plain sum of the memory: weight each h_j by a_j")],
                  atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_additive_attention", names=("additive_attention",), cases=_additive_cases,
    call=lambda f, c: f(c["state"], c["memory"], c["W"], c["U"], c["v"], mask=c["mask"]), judge=_additive_judge,
    forbidden=("additive_attention", "AdditiveAttention", "MultiheadAttention", "scaled_dot_product_attention")))
