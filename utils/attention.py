"""Attention: scaled dot-product attention, the masks, multi-head attention, its KV cache and weight capture.

Conventions (the same as ``torch.nn.functional.scaled_dot_product_attention``):
every tensor is batch-first, and a boolean mask is True where a query **may attend**
to a key. A query whose mask row is all False gets zero weights and a zero output.
"""
import math
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, Union

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


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 mask: Optional[torch.Tensor] = None, dropout_p: float = 0.0) -> tuple:
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


def causal_mask(size: int, device: Optional[Union[str, torch.device]] = None, past: int = 0) -> torch.Tensor:
    """(size, past + size) bool mask, True on and below the diagonal: position i sees 0..i.

    past > 0: the size queries are the last ones of past + size positions (the earlier keys come
    from a KV cache), so query i, at position past + i, sees keys 0 .. past + i.
    """
    return torch.ones(size, past + size, dtype=torch.bool, device=device).tril(diagonal=past)


def padding_mask(tokens: torch.Tensor, pad_id: Optional[int] = None) -> torch.Tensor:
    """(B, 1, 1, L) bool mask, True where `tokens` (B, L) is a real token, not padding.

    pad_id None: `tokens` is already an attention mask (B, L), 1/True for real tokens (the
    ``attention_mask`` of Hugging Face's tokenizers), turned into the same (B, 1, 1, L) shape.
    """
    if tokens.dim() != 2:
        raise ValueError(f"padding_mask expects token ids of shape (B, L), got {tuple(tokens.shape)}")
    real = tokens.bool() if pad_id is None else tokens != pad_id
    return real[:, None, None, :]


class LayerKVCache:
    """One attention layer's keys and values so far, each (B, num_heads, length, head_dim).

    Like a Python list, the storage over-allocates (it doubles when full), so that adding a token
    writes one slot instead of copying every earlier key with torch.cat at each step.
    """

    def __init__(self):
        self.length = 0
        self._keys = self._values = None  # (B, H, capacity, hd) buffers, filled up to self.length

    def __len__(self) -> int:
        return self.length

    @property
    def keys(self) -> Optional[torch.Tensor]:
        return None if self._keys is None else self._keys[:, :, :self.length]

    @property
    def values(self) -> Optional[torch.Tensor]:
        return None if self._values is None else self._values[:, :, :self.length]

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple:
        """Add the new tokens' k, v (B, H, T_new, hd); return every key and value so far (B, H, T, hd)."""
        end = self.length + k.size(2)
        if self._keys is None or end > self._keys.size(2):
            B, H, _, hd = k.shape
            capacity = max(16, 2 * end)
            keys, values = k.new_empty(B, H, capacity, hd), v.new_empty(B, H, capacity, hd)
            if self.length:
                keys[:, :, :self.length] = self.keys
                values[:, :, :self.length] = self.values
            self._keys, self._values = keys, values
        self._keys[:, :, self.length:end] = k
        self._values[:, :, self.length:end] = v
        self.length = end
        return self.keys, self.values


class KVCache:
    """The keys and values that every layer of a decoder has computed so far: one LayerKVCache each.

    Generating token t+1 needs the keys and values of tokens 0..t. They never change once computed
    (a token only sees its past), so keeping them means each new token costs one position's work
    instead of the whole context's.
    """

    def __init__(self, num_layers: int):
        self.layers = [LayerKVCache() for _ in range(num_layers)]

    def __len__(self) -> int:
        return len(self.layers[0])


def causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout_p: float = 0.0) -> torch.Tensor:
    """Causal attention of the last Lq positions q (B, H, Lq, hd) over k, v (B, H, Lk, hd), Lk >= Lq.

    Query i sits at position Lk - Lq + i (the keys before the queries' own come from a KV cache).
    """
    T_new, T = q.size(2), k.size(2)
    if T_new == T:
        # No past: the usual lower triangle. is_causal lets the fused kernel skip the masked half.
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
    if T_new == 1:
        # One new token, the last one: it may see every cached key and itself, so no mask at all.
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    mask = causal_mask(T_new, device=q.device, past=T - T_new)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)


class MultiHeadAttention(nn.Module):
    """Project to num_heads smaller spaces, attend in each, concatenate, project back."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True):
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

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, d_model) -> (B, num_heads, L, head_dim)"""
        B, L, _ = x.shape
        return x.view(B, L, self.num_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
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

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                mask: Optional[torch.Tensor] = None, need_weights: bool = False,
                cache: Optional[LayerKVCache] = None, causal: bool = False) -> torch.Tensor:
        """query (B, Lq, d_model), key/value (B, Lk, d_model), mask bool broadcastable to
        (B, num_heads, Lq, Lk), True = may attend.
        causal: each query sees only the keys up to its own position (queries are the last Lq
        positions of the keys, the cached ones included); then mask must be None.
        cache: a LayerKVCache; this call's keys and values are appended to it and the queries
        attend to all of them (the past, then the new tokens).
        Returns output (B, Lq, d_model), plus weights (B, num_heads, Lq, Lk) if need_weights."""
        self._check_inputs(query, key, value)
        if causal and mask is not None:
            raise ValueError("MultiHeadAttention: pass either causal=True or a mask, not both")
        q = self.split_heads(self.q_proj(query))  # (B, H, Lq, hd)
        k = self.split_heads(self.k_proj(key))  # (B, H, Lk, hd)
        v = self.split_heads(self.v_proj(value))  # (B, H, Lk, hd)
        if cache is not None:
            k, v = cache.append(k, v)  # (B, H, past + Lk, hd)
        B, _, Lq, _ = q.shape
        Lk = k.size(2)
        dropout_p = self.dropout if self.training else 0.0

        if need_weights:
            if causal:
                mask = causal_mask(Lq, device=q.device, past=Lk - Lq)
            out, weights = scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=dropout_p)
            return self.out_proj(self.merge_heads(out)), weights
        if causal:
            return self.out_proj(self.merge_heads(causal_attention(q, k, v, dropout_p)))

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


@contextmanager
def capture_attention(layers: Union[int, Iterable[int]], which: str = "self_attn") -> Iterator[list]:
    """Within the block, every forward pass through `layers` (e.g. encoder.layers) appends each
    layer's attention weights (B, heads, Lq, Lk) to the list it yields; the outputs do not change.

    which names the MultiHeadAttention inside each layer: "self_attn", or "cross_attn" in a
    DecoderLayer. Not for a pass that fills a KV cache (the recomputation would append twice).
    """
    captured = []

    def hook(module, args, kwargs, output):
        # Run the same attention again with need_weights=True. Calling .forward directly (not the
        # module) skips the hooks, so this does not recurse; the model's own output is untouched.
        _, weights = module.forward(*args, **{**kwargs, "need_weights": True})  # (B, H, Lq, Lk)
        captured.append(weights.detach())

    handles = [getattr(layer, which).register_forward_hook(hook, with_kwargs=True) for layer in layers]
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()
