"""Scaled dot-product attention, attention masks and multi-head attention.

Conventions (the same as ``torch.nn.functional.scaled_dot_product_attention``):
every tensor is batch-first, and a boolean mask is True where a query **may attend**
to a key. A query whose mask row is all False gets zero weights and a zero output.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _check_mask(mask, target_shape, where):
    """Raise a ValueError unless `mask` is bool and broadcasts to `target_shape`."""
    if mask.dtype != torch.bool:
        raise ValueError(
            f"{where}: mask must be a bool tensor (True = may attend), got dtype {mask.dtype}"
        )
    try:
        torch.broadcast_shapes(mask.shape, target_shape)
    except RuntimeError:
        raise ValueError(
            f"{where}: mask of shape {tuple(mask.shape)} does not broadcast to the "
            f"attention scores of shape {tuple(target_shape)}"
        ) from None
    if torch.broadcast_shapes(mask.shape, target_shape) != torch.Size(target_shape):
        raise ValueError(
            f"{where}: mask of shape {tuple(mask.shape)} would enlarge the attention "
            f"scores of shape {tuple(target_shape)}; it must broadcast to them"
        )


def scaled_dot_product_attention(query, key, value, mask=None, dropout_p=0.0):
    """softmax(Q K^T / sqrt(d_k)) V, returning the output and the attention weights.

    query (..., Lq, d_k), key (..., Lk, d_k), value (..., Lk, d_v)
    mask  bool, broadcastable to (..., Lq, Lk), True = may attend
    returns output (..., Lq, d_v) and weights (..., Lq, Lk) whose rows sum to 1
    (or to 0 for a fully masked row). Dropout, when asked for, is applied to the
    weights used for the output; the returned weights are those before dropout.
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise ValueError(
            "query, key and value need at least 2 dimensions (..., L, d); got "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if query.size(-1) != key.size(-1):
        raise ValueError(
            f"query and key must share their last dimension d_k; got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    if key.size(-2) != value.size(-2):
        raise ValueError(
            f"key and value must have the same length Lk; got key {tuple(key.shape)} "
            f"and value {tuple(value.shape)}"
        )
    d_k = query.size(-1)
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)  # (..., Lq, Lk)
    if mask is not None:
        _check_mask(mask, scores.shape, "scaled_dot_product_attention")
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        # A fully masked row is softmax(-inf, ..., -inf) = NaN; it should attend to nothing.
        weights = weights.masked_fill(~mask, 0.0)
    attended = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return attended @ value, weights


def causal_mask(size, device=None):
    """(size, size) bool mask, True on and below the diagonal: position i sees 0..i."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril()


def padding_mask(tokens, pad_id):
    """(B, 1, 1, L) bool mask, True where `tokens` (B, L) is a real token, not padding."""
    if tokens.dim() != 2:
        raise ValueError(f"padding_mask expects token ids of shape (B, L), got {tuple(tokens.shape)}")
    return (tokens != pad_id)[:, None, None, :]


class MultiHeadAttention(nn.Module):
    """Project to num_heads smaller spaces, attend in each, concatenate, project back."""

    def __init__(self, d_model, num_heads, dropout=0.0, bias=True):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model ({d_model}) must be divisible by num_heads ({num_heads}) so that "
                "every head gets d_model // num_heads dimensions"
            )
        self.d_model = d_model
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split_heads(self, x):
        """(B, L, d_model) -> (B, num_heads, L, head_dim)"""
        B, L, _ = x.shape
        return x.view(B, L, self.num_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x):
        """(B, num_heads, L, head_dim) -> (B, L, d_model)"""
        B, _, L, _ = x.shape
        return x.transpose(1, 2).reshape(B, L, self.d_model)

    def _check_inputs(self, query, key, value):
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.dim() != 3 or t.size(-1) != self.d_model:
                raise ValueError(
                    f"MultiHeadAttention expects {name} of shape (B, L, d_model={self.d_model}), "
                    f"got {tuple(t.shape)}"
                )
        if key.shape[:2] != value.shape[:2]:
            raise ValueError(
                f"key and value must share (B, Lk); got key {tuple(key.shape)} and value {tuple(value.shape)}"
            )
        if query.size(0) != key.size(0):
            raise ValueError(f"query and key batch sizes differ: {query.size(0)} vs {key.size(0)}")

    def forward(self, query, key, value, mask=None, need_weights=False):
        """query (B, Lq, d_model), key/value (B, Lk, d_model), mask bool broadcastable to
        (B, num_heads, Lq, Lk), True = may attend.
        Returns output (B, Lq, d_model), plus weights (B, num_heads, Lq, Lk) if need_weights."""
        self._check_inputs(query, key, value)
        B, Lq, _ = query.shape
        Lk = key.size(1)
        q = self.split_heads(self.q_proj(query))  # (B, H, Lq, hd)
        k = self.split_heads(self.k_proj(key))  # (B, H, Lk, hd)
        v = self.split_heads(self.v_proj(value))  # (B, H, Lk, hd)
        dropout_p = self.dropout if self.training else 0.0

        if need_weights:
            out, weights = scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=dropout_p)
            return self.out_proj(self.merge_heads(out)), weights

        empty_rows = None
        if mask is not None:
            _check_mask(mask, (B, self.num_heads, Lq, Lk), "MultiHeadAttention")
            # The fused kernel turns a fully masked row into NaN. Let such rows attend
            # everywhere (finite maths, finite gradients) and zero their output afterwards.
            empty_rows = ~mask.any(dim=-1, keepdim=True)  # (..., Lq, 1)
            mask = mask | empty_rows
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        if empty_rows is not None:
            out = out.masked_fill(empty_rows, 0.0)
        return self.out_proj(self.merge_heads(out))
