"""utils.figures: the all-heads figure draws each head's own matrix, on one scale, where it was asked to; the
interactive figure redraws when a control moves, and its text form is stable."""
import matplotlib

matplotlib.use("Agg")  # no display needed; set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from ipywidgets import Dropdown, IntSlider  # noqa: E402

from utils.figures import InteractiveFigure, interactive_figure, plot_attention, plot_attention_heads  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def layer_weights(heads=12, length=7):
    return torch.softmax(torch.randn(heads, length, length), dim=-1)


def test_one_heat_map_per_head_with_its_own_matrix_in_head_order():
    weights = layer_weights()
    axes = plot_attention_heads(weights)
    assert len(axes) == 12
    for head, ax in enumerate(axes):
        (image,) = ax.get_images()
        np.testing.assert_allclose(image.get_array(), weights[head].numpy())
        assert ax.get_title() == f"head {head}"
    # the default figure is 3 rows of 4, and every head shares the same colour scale
    assert axes[0].figure.axes[0].get_subplotspec().get_gridspec().get_geometry() == (3, 4)
    for ax in axes:
        assert ax.get_images()[0].get_clim() == pytest.approx((0.0, weights.max().item()))


def test_tokens_label_the_first_column_and_the_bottom_row_only():
    tokens = ["[CLS]", "the", "cat", "sat", "on", "it", "[SEP]"]
    axes = plot_attention_heads(layer_weights(heads=6), tokens=tokens, ncols=4)  # rows of 4, then 2
    labelled_y = [h for h, ax in enumerate(axes) if [t.get_text() for t in ax.get_yticklabels()] == tokens]
    labelled_x = [h for h, ax in enumerate(axes) if [t.get_text() for t in ax.get_xticklabels()] == tokens]
    assert labelled_y == [0, 4]
    assert labelled_x == [2, 3, 4, 5]  # heads 2 and 3 have nothing drawn below them


def test_draws_on_given_axes_and_hides_the_spare_ones():
    fig, grid = plt.subplots(2, 3)
    weights = layer_weights(heads=5, length=4)
    axes = plot_attention_heads(weights, axes=grid)
    assert axes == list(grid.reshape(-1)[:5])
    assert not grid[1, 2].get_visible()
    assert len(fig.axes) == 6  # no colour bar added to a layout the caller owns
    plot_attention_heads(weights, axes=grid, colorbar=True)
    assert len(fig.axes) == 7


def test_accepts_numpy_and_grad_tensors():
    weights = layer_weights(heads=2, length=3).requires_grad_()
    plot_attention_heads(weights)
    plot_attention_heads(weights.detach().numpy())


@pytest.mark.parametrize("bad, message", [
    (torch.rand(4, 4), r"\(H, Lq, Lk\) tensor; got shape \(4, 4\)"),
    (torch.rand(2, 3, 4, 4), r"got shape \(2, 3, 4, 4\)"),
    (torch.rand(0, 4, 4), r"non-empty"),
])
def test_wrong_shapes_are_refused_with_a_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        plot_attention_heads(bad)


def test_wrong_token_count_and_too_few_axes_are_refused():
    with pytest.raises(ValueError, match=r"got 3 tokens for weights of shape \(2, 4, 4\)"):
        plot_attention_heads(layer_weights(heads=2, length=4), tokens=["a", "b", "c"])
    with pytest.raises(ValueError, match="Lq == Lk"):
        plot_attention_heads(torch.rand(2, 3, 4), tokens=["a", "b", "c"])
    _, grid = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="3 heads need at least 3 axes, got 2"):
        plot_attention_heads(layer_weights(heads=3), axes=grid)
    with pytest.raises(ValueError, match="ncols must be at least 1"):
        plot_attention_heads(layer_weights(heads=3), ncols=0)


def test_plot_attention_still_refuses_a_stack_of_heads():
    with pytest.raises(ValueError, match="one \\(Lq, Lk\\) matrix"):
        plot_attention(layer_weights(heads=2))


# --- Interactive figures ---------------------------------------------------------------------------------
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
