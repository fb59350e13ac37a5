import pytest
import torch
import torch.nn.functional as F

from utils.attention import capture_attention
from utils.data.digits import load_digit_images, random_shift
from utils.vit import PatchEmbedding, ViT, add_cls_and_positions, patchify, unpatchify


def patchify_by_loops(images, p):
    """The definition, one patch at a time: reading order, then channel, row, column inside a patch."""
    B, C, H, W = images.shape
    out = torch.empty(B, (H // p) * (W // p), C * p * p, dtype=images.dtype)
    for b in range(B):
        n = 0
        for gy in range(H // p):
            for gx in range(W // p):
                out[b, n] = images[b, :, gy * p:(gy + 1) * p, gx * p:(gx + 1) * p].reshape(-1)
                n += 1
    return out


@pytest.mark.parametrize("shape, p", [((2, 1, 8, 8), 2), ((3, 3, 12, 8), 4), ((1, 2, 6, 9), 3), ((2, 1, 5, 5), 1),
                                      ((1, 3, 4, 4), 4)])
def test_patchify_matches_loops_and_unfold(shape, p):
    images = torch.randn(shape, dtype=torch.float64)
    patches = patchify(images, p)
    torch.testing.assert_close(patches, patchify_by_loops(images, p), rtol=0, atol=0)
    # F.unfold takes the same sliding blocks: (B, C * p * p, N) in the same orders
    torch.testing.assert_close(patches, F.unfold(images, kernel_size=p, stride=p).transpose(1, 2), rtol=0, atol=0)
    torch.testing.assert_close(unpatchify(patches, p, shape[-2:], channels=shape[1]), images, rtol=0, atol=0)


def test_patchify_small_example_and_errors():
    image = torch.arange(16.0).reshape(1, 1, 4, 4)
    expected = torch.tensor([[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15.0]])
    torch.testing.assert_close(patchify(image, 2)[0], expected)
    with pytest.raises(ValueError, match="multiples of patch_size=3"):
        patchify(torch.zeros(1, 1, 8, 8), 3)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        patchify(torch.zeros(8, 8), 2)
    with pytest.raises(ValueError, match="unpatchify expects"):
        unpatchify(torch.zeros(1, 4, 4), 2, 8)


@pytest.mark.parametrize("cls_shape, pos_shape", [((6,), (5, 6)), ((1, 1, 6), (1, 5, 6))])
def test_add_cls_and_positions(cls_shape, pos_shape):
    tokens = torch.randn(3, 4, 6, dtype=torch.float64)
    cls_token = torch.randn(cls_shape, dtype=torch.float64, requires_grad=True)
    positions = torch.randn(pos_shape, dtype=torch.float64, requires_grad=True)
    out = add_cls_and_positions(tokens, cls_token, positions)
    assert out.shape == (3, 5, 6)
    pos = positions.reshape(5, 6)
    for b in range(3):
        torch.testing.assert_close(out[b, 0], cls_token.reshape(6) + pos[0])
        torch.testing.assert_close(out[b, 1:], tokens[b] + pos[1:])
    out.sum().backward()  # every image sends gradient to the one shared [CLS] and to each position
    torch.testing.assert_close(cls_token.grad, torch.full(cls_shape, 3.0, dtype=torch.float64))
    torch.testing.assert_close(positions.grad, torch.full(pos_shape, 3.0, dtype=torch.float64))


def test_add_cls_and_positions_errors():
    with pytest.raises(ValueError, match=r"positions of shape \(5, 6\)"):
        add_cls_and_positions(torch.zeros(2, 4, 6), torch.zeros(6), torch.zeros(4, 6))
    with pytest.raises(ValueError, match="cls_token of 6 values"):
        add_cls_and_positions(torch.zeros(2, 4, 6), torch.zeros(5), torch.zeros(5, 6))
    with pytest.raises(ValueError, match=r"\(B, N, d\)"):
        add_cls_and_positions(torch.zeros(4, 6), torch.zeros(6), torch.zeros(5, 6))


def test_patch_embedding_is_a_linear_map_of_patches_plus_cls_and_positions():
    embed = PatchEmbedding(image_size=8, patch_size=2, in_channels=3, d_model=10)
    assert embed.num_patches == 16 and embed.grid == 4
    images = torch.randn(2, 3, 8, 8)
    out = embed(images)
    assert out.shape == (2, 17, 10)
    manual = patchify_by_loops(images, 2) @ embed.proj.weight.T + embed.proj.bias
    torch.testing.assert_close(out[:, 1:], manual + embed.positions[1:], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[:, 0], (embed.cls_token + embed.positions[0]).expand(2, 10))
    with pytest.raises(ValueError, match=r"\(B, 3, 8, 8\)"):
        embed(torch.randn(2, 1, 8, 8))


def shift_by_loops(image, dy, dx):
    out = torch.zeros_like(image)
    _, H, W = image.shape
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[:, r, c] = image[:, r - dy, c - dx]
    return out


def test_random_shift_moves_each_image_by_its_own_offset():
    images = torch.randn(40, 2, 5, 6)
    shifted = random_shift(images, max_shift=2, p=1.0, generator=torch.Generator().manual_seed(0))
    offsets = set()
    for image, result in zip(images, shifted):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(result, shift_by_loops(image, dy, dx))]
        assert matches, "every output must be its input moved by at most max_shift pixels"
        offsets.add(matches[0])
    assert len(offsets) > 5, "the offsets should vary from image to image"
    torch.testing.assert_close(random_shift(images, 1, p=0.0), images)
    again = random_shift(images, max_shift=2, p=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(shifted, again)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        random_shift(torch.zeros(5, 5))


def test_load_digit_images_is_a_stratified_split():
    train_x, train_y, test_x, test_y = load_digit_images()
    assert train_x.shape == (1347, 1, 8, 8) and test_x.shape == (450, 1, 8, 8)
    assert train_x.dtype == torch.float32 and 0 <= train_x.min() and train_x.max() <= 1
    assert train_y.dtype == torch.long and set(test_y.tolist()) == set(range(10))
    everything = torch.cat([train_y, test_y]).bincount()
    assert (test_y.bincount() - 0.25 * everything).abs().max() <= 1  # each class split 3:1, give or take one


def test_vit_shapes_gradients_and_cls_attention():
    torch.manual_seed(0)
    model = ViT(image_size=8, patch_size=2, num_classes=10, d_model=32, num_heads=4, num_layers=2, d_ff=64)
    images = torch.randn(5, 1, 8, 8)
    logits = model(images)
    assert logits.shape == (5, 10)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())

    with capture_attention(model.encoder.layers) as weights:
        again = model(images)
    torch.testing.assert_close(again, logits)  # watching does not change the output
    assert len(weights) == 2 and weights[0].shape == (5, 4, 17, 17)
    torch.testing.assert_close(weights[-1].sum(-1), torch.ones(5, 4, 17))
    assert all(not layer.self_attn._forward_hooks for layer in model.encoder.layers), "hooks must be removed"

    maps = model.cls_attention(images)
    assert maps.shape == (5, 4, 4)
    cls_on_itself = weights[-1][:, :, 0, 0].mean(1)
    torch.testing.assert_close(maps.sum(dim=(1, 2)) + cls_on_itself, torch.ones(5))
    assert model.training, "cls_attention must restore the training mode"


@pytest.mark.slow
def test_vit_learns_digits():
    import utils

    train_x, train_y, test_x, test_y = load_digit_images()
    torch.manual_seed(0)
    model = ViT(8, 2, 10, d_model=32, num_heads=4, num_layers=1, d_ff=64)
    g = torch.Generator().manual_seed(0)

    def batch():
        i = torch.randint(0, len(train_y), (64,), generator=g)
        return train_x[i], train_y[i]

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is faster than several that wait for each other
    try:
        utils.train(model, batch, lambda m, b: F.cross_entropy(m(b[0]), b[1]), steps=300, lr=3e-3, progress=False)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        assert (model(test_x).argmax(-1) == test_y).float().mean() > 0.85
