"""Transformer building blocks: activations, position-wise feed-forward, encoder and decoder layers, stacks.

With dropout 0 and copied weights each layer equals its PyTorch twin
(``nn.TransformerEncoderLayer`` / ``nn.TransformerDecoderLayer``, batch_first=True);
the tests check that. Masks follow ``utils.attention``: bool, True = may attend.
"""
import copy
from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import LayerKVCache, MultiHeadAttention


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """GELU's tanh approximation, which GPT-2 was trained with (Hugging Face's "gelu_new")."""
    return F.gelu(x, approximate="tanh")


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(1.702 x): the cheaper GELU approximation that OpenAI's CLIP was trained with."""
    return x * torch.sigmoid(1.702 * x)


# A checkpoint must be run with the activation it was trained with: the GELU variants differ by up
# to ~1e-3 per unit, more than the 1e-4 the course checks equivalence to.
ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "gelu_tanh": gelu_tanh, "quick_gelu": quick_gelu, "silu": F.silu}


class FeedForward(nn.Module):
    """The same 2-layer MLP applied to every position: d_model -> d_ff -> d_model."""

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu", bias: bool = True):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.linear1 = nn.Linear(d_model, d_ff, bias=bias)
        self.linear2 = nn.Linear(d_ff, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.activation = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, L, d_model) -> (B, L, d_model)
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each wrapped in a residual connection and LayerNorm.

    norm_first=False is the original post-norm layer: x = norm(x + sublayer(x)).
    norm_first=True is pre-norm, x = x + sublayer(norm(x)), which trains deeper stacks more stably.
    causal=True makes the self-attention causal (a decoder-only block: GPT's); such a layer may also
    be given a KV cache (utils.attention.LayerKVCache) so that x holds only the new tokens.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1, norm_first: bool = False,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, bias: bool = True, causal: bool = False):
        super().__init__()
        self.causal = causal
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout, bias=bias)
        self.feed_forward = FeedForward(d_model, d_ff, dropout=dropout, activation=activation, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def _self_attention(self, x, mask, cache=None):
        return self.dropout1(self.self_attn(x, x, x, mask=mask, cache=cache, causal=self.causal))

    def _feed_forward(self, x):
        return self.dropout2(self.feed_forward(x))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                cache: Optional[LayerKVCache] = None) -> torch.Tensor:
        """x (B, L, d_model); mask bool broadcastable to (B, heads, L, L), e.g. padding_mask(...)
        (None in a causal layer, whose mask is built in). cache: see MultiHeadAttention.forward."""
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), mask, cache)
            x = x + self._feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention(x, mask, cache))
            x = self.norm2(x + self._feed_forward(x))
        return x


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder output (memory), feed-forward."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1, norm_first: bool = False,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, bias: bool = True):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout, bias=bias)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout=dropout, bias=bias)
        self.feed_forward = FeedForward(d_model, d_ff, dropout=dropout, activation=activation, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.norm_first = norm_first

    def _self_attention(self, x, mask):
        return self.dropout1(self.self_attn(x, x, x, mask=mask))

    def _cross_attention(self, x, memory, mask):
        return self.dropout2(self.cross_attn(x, memory, memory, mask=mask))

    def _feed_forward(self, x):
        return self.dropout3(self.feed_forward(x))

    def forward(self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: Optional[torch.Tensor] = None,
                memory_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x (B, Lt, d_model) target so far; memory (B, Ls, d_model) encoder output.
        tgt_mask broadcastable to (B, heads, Lt, Lt), usually causal_mask(Lt);
        memory_mask broadcastable to (B, heads, Lt, Ls), usually padding_mask(src, pad_id)."""
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), tgt_mask)
            x = x + self._cross_attention(self.norm2(x), memory, memory_mask)
            x = x + self._feed_forward(self.norm3(x))
        else:
            x = self.norm1(x + self._self_attention(x, tgt_mask))
            x = self.norm2(x + self._cross_attention(x, memory, memory_mask))
            x = self.norm3(x + self._feed_forward(x))
        return x


class _Stack(nn.Module):
    """num_layers copies of `layer`, then a final LayerNorm when pre-norm (the residual stream is never
    normed otherwise)."""

    def __init__(self, layer, num_layers, d_model, norm_first, layer_norm_eps=1e-5):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if norm_first else None

    def _final_norm(self, x):
        return self.norm(x) if self.norm is not None else x


class Encoder(_Stack):
    """num_layers EncoderLayers; a final LayerNorm when pre-norm."""

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 norm_first: bool = False, **layer_kwargs: Any):
        layer = EncoderLayer(d_model, num_heads, d_ff, dropout, norm_first, **layer_kwargs)
        super().__init__(layer, num_layers, d_model, norm_first, layer_kwargs.get("layer_norm_eps", 1e-5))

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask)
        return self._final_norm(x)


class Decoder(_Stack):
    """num_layers DecoderLayers; a final LayerNorm when pre-norm."""

    def __init__(self, num_layers: int, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 norm_first: bool = False, **layer_kwargs: Any):
        layer = DecoderLayer(d_model, num_heads, d_ff, dropout, norm_first, **layer_kwargs)
        super().__init__(layer, num_layers, d_model, norm_first, layer_kwargs.get("layer_norm_eps", 1e-5))

    def forward(self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: Optional[torch.Tensor] = None,
                memory_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask)
        return self._final_norm(x)
