"""Lesson 01's tested pieces: an RNN unrolled step by step, input-gradient norms, the memory task's batches.

The lesson has the learner write each of them, checks it, then runs its demos with these versions, so a
learner who skips an exercise still gets every plot.
"""
from typing import Optional

import torch
import torch.nn as nn


def rnn_unroll(xs: torch.Tensor, h0: torch.Tensor, cell: nn.Module) -> torch.Tensor:
    """Apply an nn.RNNCell step by step, in a Python loop: xs (B, T, D), h0 (B, H) -> states (B, T, H)."""
    h, states = h0, []
    for t in range(xs.size(1)):
        h = cell(xs[:, t], h)
        states.append(h)
    return torch.stack(states, dim=1)


def input_gradient_norms(network: nn.Module, xs: torch.Tensor) -> torch.Tensor:
    """network maps xs (T, D) to an output (H,). Returns (T,): the Frobenius norm of d output / d xs[t]."""
    jacobian = torch.autograd.functional.jacobian(network, xs, vectorize=True)  # (H, T, D)
    return torch.linalg.vector_norm(jacobian, dim=(0, 2))


def make_recall_batch(batch_size: int, distance: int, generator: Optional[torch.Generator] = None,
                      num_keys: int = 8, vocab_size: int = 32) -> tuple:
    """The memory task: tokens (batch_size, distance + 1), a key in 0 .. num_keys - 1 then fillers in
    num_keys .. vocab_size - 1; targets (batch_size,), the keys."""
    keys = torch.randint(0, num_keys, (batch_size,), generator=generator)
    fillers = torch.randint(num_keys, vocab_size, (batch_size, distance), generator=generator)
    return torch.cat([keys[:, None], fillers], dim=1), keys
