"""One small training loop for every lesson that trains, and an evaluation helper.

The loop is step-based (a fixed number of optimiser steps), so a lesson that trains
prints the same numbers on every CPU: no wall-clock budget decides when it stops.
"""
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .runtime import eval_mode


@dataclass
class History:
    """What a training run leaves behind: one loss and learning rate per step, and eval results."""

    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    evals: list[tuple[int, float]] = field(default_factory=list)  # (step, value) pairs from eval_fn
    seconds: float = 0.0

    def smoothed(self, window: int = 20) -> list[float]:
        """Running mean of the loss over `window` steps, for a readable curve."""
        out, total = [], 0.0
        for i, loss in enumerate(self.losses):
            total += loss
            if i >= window:
                total -= self.losses[i - window]
            out.append(total / min(i + 1, window))
        return out


def warmup_cosine(step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up to 1, then cosine decay to min_ratio."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _batch_source(batches):
    """A zero-argument function returning the next batch, from a callable or a (re-iterable) iterable."""
    if callable(batches):
        return batches
    if not hasattr(batches, "__iter__"):
        raise ValueError("batches must be a callable returning a batch, or an iterable of batches")
    stream = itertools.chain.from_iterable(iter(lambda: iter(batches), None))  # re-iterate each epoch
    return lambda: next(stream)


def train(model: nn.Module, batches: Callable[[], object] | Iterable,
          loss_fn: Callable[[nn.Module, object], torch.Tensor], steps: int, lr: float = 1e-3,
          warmup_steps: int | None = None, weight_decay: float = 0.01,
          grad_clip: float | None = 1.0, optimizer: torch.optim.Optimizer | None = None,
          eval_fn: Callable[[nn.Module], float] | None = None, eval_every: int | None = None, progress: bool = True,
          desc: str = "training") -> History:
    """Train `model` for `steps` optimiser steps and return a History.

    batches  a callable returning one batch, or an iterable of batches (a DataLoader: it is re-iterated)
    loss_fn  loss_fn(model, batch) -> scalar loss tensor
    eval_fn  eval_fn(model) -> float, called every `eval_every` steps and at the end (in eval mode)
    By default: AdamW, linear warm-up over 5% of the steps then cosine decay, gradient clipping at 1.
    """
    if steps < 1:
        raise ValueError(f"steps must be a positive number of optimiser steps, got {steps}")
    next_batch = _batch_source(batches)
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if warmup_steps is None:
        warmup_steps = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_cosine(s, warmup_steps, steps)
    )
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=False)
    model.train()
    for step in bar:
        loss = loss_fn(model, next_batch())
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        history.lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        history.losses.append(loss.item())
        if step % 10 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if eval_fn is not None and eval_every and (step + 1) % eval_every == 0 and step + 1 < steps:
            history.evals.append((step + 1, evaluate(model, eval_fn)))
    if eval_fn is not None:
        history.evals.append((steps, evaluate(model, eval_fn)))
    history.seconds = time.perf_counter() - start
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: nn.Module, metric_fn: Callable[[nn.Module], object]) -> object:
    """Run metric_fn(model) in eval mode without gradients, then restore the previous mode."""
    with eval_mode(model):
        value = metric_fn(model)
    return float(value) if torch.is_tensor(value) else value


def accuracy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int | None = None) -> float:
    """Fraction of positions where argmax(logits) == targets, skipping ignore_index."""
    pred = logits.argmax(dim=-1)
    keep = torch.ones_like(targets, dtype=torch.bool) if ignore_index is None else targets != ignore_index
    return ((pred == targets) & keep).sum().item() / max(1, keep.sum().item())
