"""Plots the lessons share: attention heat maps and loss curves (matplotlib)."""
import matplotlib.pyplot as plt
import torch


def plot_attention(weights, queries=None, keys=None, ax=None, title=None, cmap="viridis"):
    """Heat map of one attention matrix (Lq, Lk): row i shows where query i looks.

    queries/keys are optional tick labels (e.g. the tokens)."""
    w = weights.detach().float().cpu() if torch.is_tensor(weights) else torch.as_tensor(weights)
    if w.dim() != 2:
        raise ValueError(f"plot_attention draws one (Lq, Lk) matrix, got shape {tuple(w.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * w.size(1) + 2, 0.45 * w.size(0) + 1.5))
    image = ax.imshow(w.numpy(), cmap=cmap, vmin=0.0, vmax=max(1e-9, float(w.max())))
    if keys is not None:
        ax.set_xticks(range(len(keys)), keys, rotation=90)
    if queries is not None:
        ax.set_yticks(range(len(queries)), queries)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_losses(history, ax=None, label=None, window=20, title="training loss"):
    """Raw and smoothed loss curve of a utils.training.History."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    line = ax.plot(history.losses, alpha=0.25)[0]
    ax.plot(history.smoothed(window), color=line.get_color(), label=label)
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    if label:
        ax.legend()
    return ax
