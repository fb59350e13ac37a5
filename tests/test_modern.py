"""utils.modern (lesson 08): RMSNorm, SwiGLU, RoPE, grouped-query attention, top-p, ModernGPT, build_gpt."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import utils
from utils.attention import KVCache, LayerKVCache
from utils.modern import (GroupedQueryAttention, ModernBlock, ModernGPT, RMSNorm, SwiGLU, apply_rope, build_gpt,
                          grouped_query_attention, kv_cache_bytes_per_token, rope_angles)
from utils.sampling import sampling_probs, top_p_filter


def test_rmsnorm_equals_pytorch():
    x = torch.randn(3, 5, 16) * 3 + 1
    ours, ref = RMSNorm(16, eps=1e-6), nn.RMSNorm(16, eps=1e-6)
    with torch.no_grad():
        ours.weight.normal_()
        ref.weight.copy_(ours.weight)
    torch.testing.assert_close(ours(x), ref(x))
    with pytest.raises(ValueError, match="last dimension of 16"):
        ours(torch.randn(2, 8))


def test_swiglu_by_hand():
    ffn = SwiGLU(8, 12)
    x = torch.randn(2, 3, 8)
    by_hand = (F.silu(x @ ffn.w1.weight.T) * (x @ ffn.w3.weight.T)) @ ffn.w2.weight.T
    torch.testing.assert_close(ffn(x), by_hand)
    assert all(m.bias is None for m in (ffn.w1, ffn.w2, ffn.w3))


def test_rope_rotates_interleaved_pairs():
    x = torch.randn(1, 1, 3, 4)
    out = apply_rope(x, torch.arange(3))
    p, theta = 2, [1.0, 10000 ** (-2 / 4)]
    for i, t in enumerate(theta):  # pair i = (x[2i], x[2i+1]) rotated by p * theta_i
        a, b = x[0, 0, p, 2 * i], x[0, 0, p, 2 * i + 1]
        c, s = math.cos(p * t), math.sin(p * t)
        torch.testing.assert_close(out[0, 0, p, 2 * i: 2 * i + 2], torch.stack((a * c - b * s, a * s + b * c)))
    torch.testing.assert_close(out[..., 0, :], x[..., 0, :])  # position 0: unchanged
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1))  # a rotation keeps lengths
    with pytest.raises(ValueError, match="even head_dim"):
        rope_angles(torch.arange(3), 5)
    with pytest.raises(ValueError, match="positions must have shape"):
        apply_rope(x, torch.arange(4))


def test_rope_scores_depend_only_on_relative_position():
    q, k = torch.randn(1, 1, 1, 32), torch.randn(1, 1, 1, 32)
    def score(m, n):
        return (apply_rope(q, torch.tensor([m])) * apply_rope(k, torch.tensor([n]))).sum().item()
    for offset in (0, 1, 7):
        same = [score(m + offset, m) for m in (0, 5, 40, 300)]
        assert max(same) - min(same) < 1e-3 * (1 + abs(same[0]))
    assert abs(score(3, 0) - score(0, 3)) > 1e-4  # but it does depend on the offset's sign


@pytest.mark.parametrize("num_heads,num_kv_heads", [(4, 4), (4, 2), (6, 1)])
def test_grouped_query_attention_equals_sdpa_enable_gqa(num_heads, num_kv_heads):
    q = torch.randn(2, num_heads, 7, 8)
    k, v = torch.randn(2, num_kv_heads, 7, 8), torch.randn(2, num_kv_heads, 7, 8)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    torch.testing.assert_close(grouped_query_attention(q, k, v), ref)
    # with a cache: the last 3 queries over all 7 keys equal the last 3 rows of the full result
    torch.testing.assert_close(grouped_query_attention(q[:, :, 4:], k, v, past=4), ref[:, :, 4:])


def test_gqa_module_cache_and_memory():
    attn = GroupedQueryAttention(32, num_heads=8, num_kv_heads=2)
    x = torch.randn(2, 9, 32)
    full, cache = attn(x), LayerKVCache()
    parts = torch.cat((attn(x[:, :5], cache), attn(x[:, 5:], cache)), dim=1)
    torch.testing.assert_close(parts, full, atol=1e-5, rtol=1e-4)
    assert cache.keys.shape == (2, 2, 9, 4)  # 2 key/value heads cached, not 8
    assert kv_cache_bytes_per_token(num_layers=32, num_kv_heads=8, head_dim=128) == 131072  # LLaMA-2 70B-like
    assert kv_cache_bytes_per_token(32, 32, 128) == 4 * kv_cache_bytes_per_token(32, 8, 128)
    with pytest.raises(ValueError, match="multiple of num_kv_heads"):
        GroupedQueryAttention(32, num_heads=8, num_kv_heads=3)


def test_top_p_keeps_the_nucleus():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    kept = lambda p: torch.isfinite(top_p_filter(probs.log(), p))[0].tolist()  # noqa: E731
    assert kept(0.5) == [True, False, False, False]
    assert kept(0.6) == [True, True, False, False]
    assert kept(0.95) == [True, True, True, False]
    assert kept(1.0) == [True, True, True, True]
    shuffled = torch.tensor([[0.15, 0.5, 0.05, 0.3]]).log()
    assert torch.isfinite(top_p_filter(shuffled, 0.6))[0].tolist() == [False, True, False, True]
    out = sampling_probs(probs.log(), temperature=1.0, top_p=0.6)
    torch.testing.assert_close(out, torch.tensor([[0.625, 0.375, 0.0, 0.0]]))
    for bad in (0, 1.5, True, "0.9"):
        with pytest.raises(ValueError, match="top_p"):
            top_p_filter(probs.log(), bad)


def test_pre_norm_and_post_norm_blocks():
    x = torch.randn(2, 5, 16)
    post = ModernBlock(16, 4, 32, norm="layer", ffn="gelu", norm_first=False)
    out = post(x)
    torch.testing.assert_close(out.mean(-1), torch.zeros(2, 5), atol=1e-5, rtol=0)  # ends with a LayerNorm
    pre = ModernBlock(16, 4, 32)
    with torch.no_grad():
        pre.attn.out_proj.weight.zero_()
        pre.ffn.w2.weight.zero_()
    torch.testing.assert_close(pre(x), x)  # pre-norm: the residual path is the identity
    with pytest.raises(ValueError, match="norm must be"):
        ModernBlock(16, 4, 32, norm="batch")


def test_modern_gpt_cache_generation_and_causality():
    torch.manual_seed(0)
    model = ModernGPT(50, 16, 32, 4, 2, 48, num_kv_heads=2).eval()
    idx = torch.randint(0, 50, (2, 10))
    logits = model(idx)
    assert logits.shape == (2, 10, 50)
    changed = idx.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 50
    torch.testing.assert_close(model(changed)[:, :6], logits[:, :6])  # no peeking at the future
    cache = KVCache(len(model.blocks))
    step = torch.cat((model(idx[:, :7], cache), model(idx[:, 7:], cache)), dim=1)
    torch.testing.assert_close(step, logits, atol=1e-5, rtol=1e-4)
    greedy = model.generate(idx[:, :3], 20, temperature=0)  # runs past block_size: the window slides
    assert greedy.shape == (2, 23)
    x = idx[:, :3]
    for _ in range(5):  # greedy with the cache equals greedy without it
        x = torch.cat((x, model(x)[:, -1].argmax(-1, keepdim=True)), dim=1)
    assert torch.equal(greedy[:, :8], x)
    assert model.lm_head.weight is model.tok_emb.weight
    with pytest.raises(ValueError, match="exceed block_size"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_build_gpt_both_styles():
    opts = dict(vocab_size=64, block_size=16, d_model=32, num_heads=4, num_layers=2, d_ff=64)
    old, new = build_gpt("2017", **opts), build_gpt("modern", num_kv_heads=2, **opts)
    assert isinstance(old, utils.GPT) and isinstance(new, ModernGPT)
    idx = torch.randint(0, 64, (1, 8))
    assert old(idx).shape == new(idx).shape == (1, 8, 64)
    with pytest.raises(ValueError, match="style"):
        build_gpt("2023", **opts)
    with pytest.raises(ValueError, match="num_kv_heads"):
        build_gpt("2017", num_kv_heads=2, **opts)


def test_training_step_matches_adamw_and_clipping():
    """utils.train's step = clip_grad_norm_ + torch.optim.AdamW: one step by hand gives the same weights."""
    torch.manual_seed(1)
    model = ModernGPT(40, 8, 16, 2, 1, 24)
    twin = ModernGPT(40, 8, 16, 2, 1, 24)
    twin.load_state_dict(model.state_dict())
    x, y = torch.randint(0, 40, (4, 8)), torch.randint(0, 40, (4, 8))
    loss_fn = lambda m, b: F.cross_entropy(m(b[0]).flatten(0, 1), b[1].flatten())  # noqa: E731
    utils.train(model, lambda: (x, y), loss_fn, steps=1, lr=1e-2, warmup_steps=1, grad_clip=0.1, progress=False)
    opt = torch.optim.AdamW(twin.parameters(), lr=1e-2, weight_decay=0.01)
    loss_fn(twin, (x, y)).backward()
    norm = torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.1)
    assert norm > 0.1  # the clip really acted
    opt.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b)


@pytest.mark.slow
def test_modern_gpt_learns_a_repeating_pattern():
    torch.manual_seed(0)
    data = torch.tensor([1, 2, 3, 4, 5, 6, 7] * 200)
    model = ModernGPT(8, 16, 32, 4, 2, 64, num_kv_heads=2)
    batches = utils.batching.lm_batches(data, 16, 16, seed=0)
    utils.train(model, batches, utils.losses.lm_loss, steps=150, lr=3e-3, progress=False)
    assert utils.losses.evaluate_lm(model, data, 16) < 0.1
