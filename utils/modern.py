"""The blocks that changed between the 2017 Transformer and today's LLMs, and a modern GPT built of them.

RMSNorm, SwiGLU, rotary position embeddings (RoPE, RoFormer's interleaved pairs), grouped-query
attention (GQA, with its KV-cache memory per token), top-p sampling, and `ModernGPT` (LLaMA-style:
pre-norm RMSNorm, RoPE, GQA, SwiGLU, no biases, tied embeddings). `build_gpt(style=...)` builds
lesson 05's 2017-style `utils.GPT` or a `ModernGPT` from one set of options.

    model = build_gpt("modern", vocab_size=512, block_size=128, d_model=128, num_heads=4,
                      num_layers=4, d_ff=344, num_kv_heads=2)
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import KVCache, LayerKVCache, causal_mask
from .gpt import GPT
from .runtime import check_int, eval_mode
from .sampling import draw, sampling_probs


class RMSNorm(nn.Module):
    """x / sqrt(mean(x**2) + eps) * weight over the last dimension (no mean subtracted, no bias).

    Equal to torch.nn.RMSNorm(d, eps=eps).
    """

    def __init__(self, d: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., d) -> (..., d)
        if x.size(-1) != self.weight.numel():
            raise ValueError(f"RMSNorm expects a last dimension of {self.weight.numel()}, got {tuple(x.shape)}")
        rms = torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return x * rms * self.weight


class SwiGLU(nn.Module):
    """The gated feed-forward of LLaMA/PaLM: w2(silu(w1 x) * w3 x), no biases."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff, bias=False)  # gate
        self.w3 = nn.Linear(d_model, d_ff, bias=False)  # up
        self.w2 = nn.Linear(d_ff, d_model, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, L, d_model) -> (B, L, d_model)
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def rope_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> tuple:
    """positions (L,) -> (cos, sin), each (L, head_dim // 2): angle p * base**(-2i/head_dim) of pair i."""
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head_dim (it rotates pairs), got {head_dim}")
    positions = torch.as_tensor(positions)
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim)
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]  # (L, head_dim/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate each interleaved pair (x[2i], x[2i+1]) of x (B, H, L, hd) by angle position * theta_i.

    positions: (L,) integer positions of x's L tokens. Returns a tensor shaped like x.
    Scores q_m . k_n after rotation depend on m - n only (the point of RoPE).
    """
    if x.dim() != 4:
        raise ValueError(f"apply_rope expects x of shape (B, H, L, head_dim), got {tuple(x.shape)}")
    positions = torch.as_tensor(positions, device=x.device)
    if positions.shape != (x.size(2),):
        raise ValueError(f"positions must have shape ({x.size(2)},), got {tuple(positions.shape)}")
    cos, sin = rope_angles(positions, x.size(-1), base)  # (L, hd/2)
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]  # (B, H, L, hd/2) each
    out = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)  # (B, H, L, hd/2, 2)
    return out.flatten(-2)


def kv_cache_bytes_per_token(num_layers: int, num_kv_heads: Optional[int], head_dim: int,
                             bytes_per_value: int = 2) -> int:
    """Memory one token's keys and values take in the KV cache: 2 * layers * kv heads * head_dim * bytes."""
    return 2 * num_layers * num_kv_heads * head_dim * bytes_per_value


class GroupedQueryAttention(nn.Module):
    """Causal self-attention where num_heads query heads share num_kv_heads key/value heads, with RoPE.

    num_kv_heads == num_heads is multi-head attention; num_kv_heads == 1 is multi-query attention.
    The KV cache then holds num_kv_heads heads per layer instead of num_heads.
    """

    def __init__(self, d_model: int, num_heads: int, num_kv_heads: Optional[int] = None,
                 rope_base: float = 10000.0, bias: bool = False):
        super().__init__()
        num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} must be divisible by num_heads={num_heads}")
        if num_kv_heads < 1 or num_heads % num_kv_heads:
            raise ValueError(f"num_heads={num_heads} must be a multiple of num_kv_heads={num_kv_heads}")
        self.num_heads, self.num_kv_heads = num_heads, num_kv_heads
        self.head_dim = d_model // num_heads
        self.rope_base = rope_base
        self.q_proj = nn.Linear(d_model, num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d_model, num_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d_model, num_kv_heads * self.head_dim, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor, cache: Optional[LayerKVCache] = None) -> torch.Tensor:
        """x (B, L, d_model) -> (B, L, d_model). cache: a utils.attention.LayerKVCache this layer
        appends its keys and values to (num_kv_heads heads, after RoPE)."""
        B, L, _ = x.shape
        past = 0 if cache is None else len(cache)
        positions = torch.arange(past, past + L, device=x.device)
        q = self.q_proj(x).view(B, L, self.num_heads, self.head_dim).transpose(1, 2)  # (B, H, L, hd)
        k = self.k_proj(x).view(B, L, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, Hkv, L, hd)
        v = self.v_proj(x).view(B, L, self.num_kv_heads, self.head_dim).transpose(1, 2)  # (B, Hkv, L, hd)
        q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        if cache is not None:
            k, v = cache.append(k, v)  # (B, Hkv, past + L, hd)
        out = grouped_query_attention(q, k, v, past)  # (B, H, L, hd)
        return self.out_proj(out.transpose(1, 2).reshape(B, L, -1))


def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, past: int = 0) -> torch.Tensor:
    """Causal attention of q (B, H, L, hd) over k, v (B, Hkv, past + L, hd); query i sits at past + i.

    Each group of H // Hkv query heads reads the same key/value head (repeat_interleave), as
    F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True) does. Returns (B, H, L, hd).
    """
    H, Hkv = q.size(1), k.size(1)
    if H % Hkv:
        raise ValueError(f"query heads ({H}) must be a multiple of key/value heads ({Hkv})")
    if k.size(2) != past + q.size(2):
        raise ValueError(f"keys cover {k.size(2)} positions, expected past + L = {past + q.size(2)}")
    k, v = k.repeat_interleave(H // Hkv, dim=1), v.repeat_interleave(H // Hkv, dim=1)  # (B, H, S, hd)
    allowed = causal_mask(q.size(2), device=q.device, past=past)  # (L, past + L), True = may attend
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)


class ModernBlock(nn.Module):
    """One decoder block: attention then feed-forward, each with a residual.

    norm_first=True (pre-norm, every model since GPT-2): x + f(norm(x)).
    norm_first=False (post-norm, the 2017 paper): norm(x + f(x)).
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, num_kv_heads: Optional[int] = None,
                 norm: str = "rms", ffn: str = "swiglu",
                 norm_first: bool = True, rope_base: float = 10000.0):
        super().__init__()
        make_norm = {"rms": lambda: RMSNorm(d_model), "layer": lambda: nn.LayerNorm(d_model)}
        if norm not in make_norm:
            raise ValueError(f"norm must be 'rms' or 'layer', got {norm!r}")
        if ffn not in ("swiglu", "gelu"):
            raise ValueError(f"ffn must be 'swiglu' or 'gelu', got {ffn!r}")
        self.norm_first = norm_first
        self.norm1, self.norm2 = make_norm[norm](), make_norm[norm]()
        self.attn = GroupedQueryAttention(d_model, num_heads, num_kv_heads, rope_base)
        self.ffn = SwiGLU(d_model, d_ff) if ffn == "swiglu" else nn.Sequential(
            nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x: torch.Tensor, cache: Optional[LayerKVCache] = None) -> torch.Tensor:  # (B, L, d) -> (B, L, d)
        if self.norm_first:
            x = x + self.attn(self.norm1(x), cache)
            return x + self.ffn(self.norm2(x))
        x = self.norm1(x + self.attn(x, cache))
        return self.norm2(x + self.ffn(x))


class ModernGPT(nn.Module):
    """A LLaMA-style decoder-only LM: token embedding (no learned positions: RoPE in attention),
    ModernBlocks, a final norm and an LM head tied to the embedding. No biases, no dropout."""

    def __init__(self, vocab_size: int, block_size: int, d_model: int, num_heads: int, num_layers: int, d_ff: int,
                 num_kv_heads: Optional[int] = None,
                 norm: str = "rms", ffn: str = "swiglu", norm_first: bool = True, rope_base: float = 10000.0):
        super().__init__()
        for name, value in dict(vocab_size=vocab_size, block_size=block_size, d_model=d_model,
                                num_heads=num_heads, num_layers=num_layers, d_ff=d_ff).items():
            check_int(name, value)
        self.block_size = block_size
        self.config = dict(vocab_size=vocab_size, block_size=block_size, d_model=d_model, num_heads=num_heads,
                           num_layers=num_layers, d_ff=d_ff, num_kv_heads=num_kv_heads or num_heads, norm=norm,
                           ffn=ffn, norm_first=norm_first, rope_base=rope_base)
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.blocks = nn.ModuleList(ModernBlock(d_model, num_heads, d_ff, num_kv_heads, norm, ffn, norm_first,
                                                rope_base) for _ in range(num_layers))
        self.norm = RMSNorm(d_model) if norm == "rms" else nn.LayerNorm(d_model)
        if not norm_first:
            self.norm = nn.Identity()  # post-norm blocks already end with a norm
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight
        for name, p in self.named_parameters():
            if p.dim() == 2:
                residual = name.endswith(("out_proj.weight", "w2.weight", "ffn.2.weight"))
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * num_layers) if residual else 0.02)

    @property
    def vocab_size(self) -> int:
        return self.tok_emb.num_embeddings

    def forward(self, idx: torch.Tensor, cache: Optional[KVCache] = None) -> torch.Tensor:
        """idx (B, L) token ids -> logits (B, L, vocab_size). cache: a utils.attention.KVCache, or None."""
        if idx.dim() != 2:
            raise ValueError(f"idx must have shape (B, L), got {tuple(idx.shape)}")
        past = 0 if cache is None else len(cache)
        if past + idx.size(1) > self.block_size:
            raise ValueError(f"{past + idx.size(1)} positions exceed block_size={self.block_size}")
        x = self.tok_emb(idx)  # (B, L, d)
        for i, block in enumerate(self.blocks):
            x = block(x, None if cache is None else cache.layers[i])
        return self.lm_head(self.norm(x))

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: Optional[int] = None, top_p: Optional[float] = None,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Append max_new_tokens sampled tokens to idx (B, L) with a KV cache -> (B, L + max_new_tokens)."""
        cache, out, step_in = KVCache(len(self.blocks)), idx, idx[:, -self.block_size:]
        with eval_mode(self):
            for _ in range(max_new_tokens):
                if len(cache) and len(cache) + step_in.size(1) > self.block_size:
                    cache, step_in = KVCache(len(self.blocks)), out[:, -self.block_size + 1:]  # window slides
                logits = self(step_in, cache)[:, -1]  # (B, V)
                probs = sampling_probs(logits.float(), temperature, top_k, top_p)
                if temperature == 0:
                    nxt = probs.argmax(dim=-1, keepdim=True)
                else:
                    nxt = draw(probs, generator)
                out, step_in = torch.cat((out, nxt), dim=1), nxt
        return out


def build_gpt(style: str, vocab_size: int, block_size: int, d_model: int, num_heads: int, num_layers: int,
              d_ff: int, num_kv_heads: Optional[int] = None,
              dropout: float = 0.0) -> nn.Module:
    """One set of options, two designs: "2017" -> lesson 05's utils.GPT (learned positions, LayerNorm,
    GELU, biases); "modern" -> ModernGPT (RoPE, RMSNorm, SwiGLU, GQA with num_kv_heads, no biases)."""
    if style == "2017":
        if num_kv_heads not in (None, num_heads):
            raise ValueError("the 2017-style GPT has one key/value head per query head: leave num_kv_heads out")
        return GPT(vocab_size, block_size, d_model, num_heads, num_layers, d_ff, dropout=dropout)
    if style == "modern":
        if dropout:
            raise ValueError("ModernGPT has no dropout (as LLaMA): use dropout=0")
        return ModernGPT(vocab_size, block_size, d_model, num_heads, num_layers, d_ff, num_kv_heads)
    raise ValueError(f"style must be '2017' or 'modern', got {style!r}")
