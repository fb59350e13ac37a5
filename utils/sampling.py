"""Sampling the next token: temperature, top-k and top-p (nucleus) filtering, and the draw itself."""
from typing import Optional

import torch
import torch.nn.functional as F

from .runtime import check_int


def _check_sampling(temperature, top_k):
    if not isinstance(temperature, (int, float)) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    check_int("top_k", top_k, allow_none=True)


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: Optional[int] = None) -> torch.Tensor:
    """The distribution a sampler draws the next token from: logits (B, V) -> probabilities (B, V).

    Divide the logits by `temperature` (< 1 sharpens, > 1 flattens; 0 means greedy: all mass on the
    argmax), keep only the `top_k` largest (ties with the k-th are kept), then softmax.
    """
    _check_sampling(temperature, top_k)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, vocab_size), got {tuple(logits.shape)}")
    if temperature == 0:
        return F.one_hot(logits.argmax(dim=-1), logits.size(-1)).to(logits.dtype)
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth_largest, float("-inf"))
    return torch.softmax(logits, dim=-1)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """logits (B, V) -> logits with -inf outside the nucleus: the fewest most likely tokens whose
    probabilities sum to >= top_p (the most likely token is always kept)."""
    if not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, vocab_size), got {tuple(logits.shape)}")
    sorted_logits, order = logits.sort(dim=-1, descending=True)  # (B, V)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    drop_sorted = cumulative - sorted_logits.softmax(dim=-1) >= top_p  # mass before this token already enough
    drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
    return logits.masked_fill(drop, float("-inf"))


def sampling_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: Optional[int] = None,
                   top_p: Optional[float] = None) -> torch.Tensor:
    """logits (B, V) -> probabilities (B, V): temperature, then top-k, then top-p (nucleus)."""
    if temperature == 0 or top_p is None or top_p == 1:
        return next_token_probs(logits, temperature, top_k)
    probs = next_token_probs(logits, temperature, top_k)
    return top_p_filter(probs.clamp_min(1e-30).log(), top_p).softmax(dim=-1)


def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: Optional[int] = None,
                      generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """logits (B, V) -> next token ids (B, 1): argmax if temperature is 0, else a random draw."""
    if temperature == 0:
        _check_sampling(temperature, top_k)
        return logits.argmax(dim=-1, keepdim=True)
    probs = next_token_probs(logits, temperature, top_k)
    return draw(probs, generator)


def draw(probs: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """probs (B, V) -> one token id per row drawn from it, (B, 1), on probs' device. A generator on
    another device (a CPU generator for a GPU model) draws on its own device."""
    if generator is not None and generator.device != probs.device:
        return torch.multinomial(probs.cpu(), 1, generator=generator).to(probs.device)
    return torch.multinomial(probs, 1, generator=generator)
