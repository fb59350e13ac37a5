"""utils.widgets: the interactive figure redraws when a control moves, and its text form is stable."""
import pytest
from ipywidgets import Dropdown, IntSlider

from utils.widgets import InteractiveFigure, interactive_figure

PNG_MAGIC = b"\x89PNG"


def test_draws_once_at_start_and_again_when_a_control_moves():
    calls = []

    def draw(ax, n, colour):
        calls.append((n, colour))
        ax.plot(range(n), color=colour)

    fig = interactive_figure(draw, n=IntSlider(value=3, min=1, max=9), colour=Dropdown(options=["red", "blue"]))
    assert isinstance(fig, InteractiveFigure)
    assert calls == [(3, "red")]
    first = bytes(fig.image.value)
    assert first.startswith(PNG_MAGIC)
    fig.controls["n"].value = 8
    assert calls[-1] == (8, "red")
    assert bytes(fig.image.value).startswith(PNG_MAGIC) and bytes(fig.image.value) != first


def test_text_form_names_the_settings_not_the_image_bytes():
    fig = interactive_figure(lambda ax, n: ax.plot(range(n)), n=IntSlider(value=4))
    assert repr(fig) == "InteractiveFigure(n=4)"


def test_grid_of_axes():
    shapes = []
    interactive_figure(lambda axes, k: shapes.append(axes.shape), axes=(2, 3), k=IntSlider(value=1))
    assert shapes == [(2, 3)]


def test_bad_controls_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least one control"):
        interactive_figure(lambda ax: None)
    with pytest.raises(ValueError, match="must be an ipywidgets control"):
        interactive_figure(lambda ax, n: None, n=5)
