"""Interactive figures for the lessons: controls on top, a matplotlib figure below.

Why not ``ipywidgets.interact``? It redraws through an ``Output`` widget, whose captured output
lands in different places in JupyterLab, in nbclient and in nbval, so a lesson's saved outputs
would not compare. Here the figure is rendered to PNG bytes and shown in an ``Image`` widget:
the same in every front end, and the cell's saved output is one widget with a stable text form.

    def draw(ax, length):
        ax.plot(range(length))
    interactive_figure(draw, length=IntSlider(value=10, min=1, max=50))
"""
import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt


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

    def __init__(self, draw, figsize=(7, 3.5), axes=None, dpi=90, **controls):
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

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self):
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


def interactive_figure(draw: Callable, figsize: tuple[float, float] = (7, 3.5), axes=None, dpi: int = 90,
                       **controls) -> "InteractiveFigure":
    """Build an InteractiveFigure; return it as a cell's last value to show it."""
    return InteractiveFigure(draw, figsize=figsize, axes=axes, dpi=dpi, **controls)
