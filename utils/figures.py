"""Figures the lessons share: attention heat maps and loss curves, and interactive figures (controls above a plot).

Interactive figures: controls on top, a matplotlib figure below.

Why not ``ipywidgets.interact``? It redraws through an ``Output`` widget, whose captured output
lands in different places in JupyterLab, in nbclient and in nbval, so a lesson's saved outputs
would not compare. Here the figure is rendered to PNG bytes and shown in an ``Image`` widget:
the same in every front end, and the cell's saved output is one widget with a stable text form.

    def draw(ax, length):
        ax.plot(range(length))
    interactive_figure(draw, length=IntSlider(value=10, min=1, max=50))
"""
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

if TYPE_CHECKING:
    from .training import History


def plot_attention(weights: torch.Tensor, queries: Sequence[str] | None = None, keys: Sequence[str] | None = None,
                   ax: plt.Axes | None = None, title: str | None = None, cmap: str = "viridis") -> plt.Axes:
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


def plot_losses(history: "History", ax: plt.Axes | None = None, label: str | None = None, window: int = 20,
                title: str = "training loss") -> plt.Axes:
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


def plot_attention_heads(weights: torch.Tensor, tokens: Sequence[str] | None = None,
                         axes: np.ndarray | Sequence[plt.Axes] | None = None, ncols: int = 4, title: str | None = None,
                         cmap: str = "viridis", colorbar: bool | None = None) -> list[plt.Axes]:
    """Every head of one layer in one figure: weights (H, Lq, Lk) -> H small heat maps, "head 0", ...

    All heads share one colour scale (0 to the largest weight), so a pale head really does spread
    its attention and a bright cell in one head means as much as in another. tokens, if given,
    label both axes (self-attention, so Lq == Lk == len(tokens)). axes: an array of at least H
    matplotlib Axes to draw on (unused ones are hidden); by default a new figure with `ncols`
    columns. colorbar: draw one shared colour bar; by default only on a figure made here (a bar
    spanning Axes that the caller laid out would fight with its layout). Returns the H Axes drawn
    on, in head order.
    """
    w = weights.detach().float().cpu() if torch.is_tensor(weights) else torch.as_tensor(weights, dtype=torch.float32)
    if w.dim() != 3 or w.numel() == 0:
        raise ValueError(
            "plot_attention_heads draws one layer's weights, a non-empty (H, Lq, Lk) tensor; "
            f"got shape {tuple(w.shape)}"
        )
    num_heads, lq, lk = w.shape
    if tokens is not None and not (len(tokens) == lq == lk):
        raise ValueError(
            f"tokens label both axes, so they need Lq == Lk == len(tokens); got {len(tokens)} tokens "
            f"for weights of shape {tuple(w.shape)}"
        )
    if axes is None:
        if ncols < 1:
            raise ValueError(f"ncols must be at least 1, got {ncols}")
        ncols = min(ncols, num_heads)
        nrows = -(-num_heads // ncols)  # ceiling division
        # constrained layout leaves room for the shared colour bar and the tick labels
        _, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.6 * nrows), squeeze=False,
                               layout="constrained")
        colorbar = True if colorbar is None else colorbar
    grid = np.asarray(axes, dtype=object)
    ncols = grid.shape[-1] if grid.ndim == 2 else len(grid.reshape(-1))
    flat = list(grid.reshape(-1))
    if len(flat) < num_heads:
        raise ValueError(f"{num_heads} heads need at least {num_heads} axes, got {len(flat)}")

    vmax = max(1e-9, float(w.max()))
    for head, ax in enumerate(flat[:num_heads]):
        image = ax.imshow(w[head].numpy(), cmap=cmap, vmin=0.0, vmax=vmax)
        ax.set_title(f"head {head}", fontsize=9)
        first_column = head % ncols == 0
        bottom_row = head + ncols >= num_heads  # no drawn head below this one
        if tokens is not None and first_column:
            ax.set_yticks(range(lq), tokens, fontsize=6)
        else:
            ax.set_yticks([])
        if tokens is not None and bottom_row:
            ax.set_xticks(range(lk), tokens, rotation=90, fontsize=6)
        else:
            ax.set_xticks([])
    for ax in flat[num_heads:]:
        ax.set_visible(False)
    drawn = flat[:num_heads]
    if colorbar:
        drawn[0].figure.colorbar(image, ax=drawn, fraction=0.02, pad=0.02, label="attention weight")
    if title:
        drawn[0].figure.suptitle(title)
    return drawn


# --- Interactive figures ---------------------------------------------------------------------------------


def figure_png(fig: plt.Figure, dpi: int = 90) -> bytes:
    """The PNG bytes of a matplotlib figure (the figure is closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


class InteractiveFigure(widgets.VBox):
    """Controls (any ipywidgets with a ``value``) above an image that ``draw`` re-renders on change.

    draw(ax, **values) draws on a fresh Axes; with ``axes=(rows, cols)`` it gets an array of Axes.
    """

    def __init__(self, draw: Callable[..., object], figsize: tuple[float, float] = (7, 3.5),
                 axes: tuple[int, int] | None = None, dpi: int = 90, **controls: widgets.ValueWidget):
        if not controls:
            raise ValueError("interactive_figure needs at least one control, e.g. length=IntSlider(...)")
        for name, control in controls.items():
            if not hasattr(control, "value") or not hasattr(control, "observe"):
                raise ValueError(f"control {name!r} must be an ipywidgets control with a value, got {control!r}")
        self.draw, self.figsize, self.axes, self.dpi = draw, figsize, axes, dpi
        self.controls = controls
        self.image = widgets.Image(format="png")
        super().__init__([widgets.HBox(list(controls.values())), self.image])
        for control in controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        if self.axes is None:
            fig, ax = plt.subplots(figsize=self.figsize)
        else:
            fig, ax = plt.subplots(*self.axes, figsize=self.figsize, squeeze=False)
        self.draw(ax, **self.values())
        fig.tight_layout()
        self.image.value = figure_png(fig, self.dpi)

    def __repr__(self):  # the saved text form: stable, no PNG bytes or model ids
        settings = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"InteractiveFigure({settings})"


def interactive_figure(draw: Callable, figsize: tuple[float, float] = (7, 3.5), axes: tuple[int, int] | None = None,
                       dpi: int = 90, **controls: widgets.ValueWidget) -> "InteractiveFigure":
    """Build an InteractiveFigure; return it as a cell's last value to show it."""
    return InteractiveFigure(draw, figsize=figsize, axes=axes, dpi=dpi, **controls)
