"""ViT, the Vision Transformer (Dosovitskiy et al., 2020): an image read as a sequence of patches.

An image is cut into a grid of non-overlapping p x p patches; each patch is flattened into one
vector and projected to d_model, like a word embedding. A learned [CLS] vector is put in front,
learned position vectors are added, and the sequence goes through the same utils.Encoder that reads
text. The classifier reads the [CLS] position at the end, exactly like BERT's sentence classifier.

Images are (B, C, H, W), batch-first, channels first, as in torchvision.
"""
from typing import Union

import torch
import torch.nn as nn

from .attention import capture_attention
from .layers import Encoder
from .runtime import eval_mode


def _check_images(images, patch_size, where):
    if images.dim() != 4:
        raise ValueError(f"{where} expects images of shape (B, C, H, W), got {tuple(images.shape)}")
    if patch_size < 1:
        raise ValueError(f"{where}: patch_size must be a positive number of pixels, got {patch_size}")
    H, W = images.shape[-2:]
    if H % patch_size or W % patch_size:
        raise ValueError(
            f"{where}: image height and width ({H}, {W}) must be multiples of patch_size={patch_size}"
        )


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into non-overlapping square patches, flattened, in reading order.

    images (B, C, H, W) -> patches (B, N, C * p * p) with N = (H / p) * (W / p).
    Patch n is grid row n // (W / p), grid column n % (W / p) (left to right, then top to bottom);
    inside a patch the values are ordered channel, row, column (the order of F.unfold).
    """
    _check_images(images, patch_size, "patchify")
    B, C, H, W = images.shape
    p = patch_size
    # Split each spatial axis into (grid index, offset inside the patch), then bring the two grid
    # axes forward: (B, C, H/p, p, W/p, p) -> (B, H/p, W/p, C, p, p).
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)


def unpatchify(patches: torch.Tensor, patch_size: int, image_size: Union[int, tuple],
               channels: int = 1) -> torch.Tensor:
    """The inverse of patchify: (B, N, C * p * p) -> (B, C, H, W) with image_size = (H, W)."""
    H, W = (image_size, image_size) if isinstance(image_size, int) else image_size
    p = patch_size
    if patches.dim() != 3 or patches.shape[1:] != (H // p * (W // p), channels * p * p):
        raise ValueError(
            f"unpatchify expects patches of shape (B, {H // p * (W // p)}, {channels * p * p}) for "
            f"{channels}-channel {H}x{W} images and patch_size={p}, got {tuple(patches.shape)}"
        )
    B = patches.size(0)
    grid = patches.reshape(B, H // p, W // p, channels, p, p).permute(0, 3, 1, 4, 2, 5)
    return grid.reshape(B, channels, H, W)


def add_cls_and_positions(tokens: torch.Tensor, cls_token: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Put the [CLS] vector in front of every sequence, then add one position vector per slot.

    tokens (B, N, d), cls_token (d,) or (1, 1, d), positions (N + 1, d) or (1, N + 1, d)
    -> (B, N + 1, d), row 0 being cls_token + positions[0].
    """
    if tokens.dim() != 3:
        raise ValueError(f"add_cls_and_positions expects patch embeddings (B, N, d), got {tuple(tokens.shape)}")
    B, N, d = tokens.shape
    cls_token = cls_token.reshape(-1)
    positions = positions.reshape(-1, positions.size(-1))
    if cls_token.numel() != d or positions.shape != (N + 1, d):
        raise ValueError(
            f"for {N} patches of width {d} expected a cls_token of {d} values and positions of shape "
            f"({N + 1}, {d}); got {tuple(cls_token.shape)} and {tuple(positions.shape)}"
        )
    cls = cls_token.expand(B, 1, d)  # the same learned vector for every image
    return torch.cat([cls, tokens], dim=1) + positions  # (B, N + 1, d)


class PatchEmbedding(nn.Module):
    """images (B, C, H, W) -> (B, 1 + N, d_model): [CLS], then one projected vector per patch,
    each plus its learned position. Learned rather than sinusoidal positions, as in ViT: the grid
    is small and fixed, and the model can learn which patches are neighbours in 2-D."""

    def __init__(self, image_size: Union[int, tuple], patch_size: int, in_channels: int, d_model: int,
                 bias: bool = True):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} must be a multiple of patch_size {patch_size}")
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.grid = image_size // patch_size
        self.num_patches = self.grid ** 2
        # One shared linear map per patch (a convolution with stride = kernel = patch_size, written as
        # what it is). bias=False as in CLIP, whose [CLS] and positions make a bias redundant.
        self.proj = nn.Linear(in_channels * patch_size ** 2, d_model, bias=bias)
        self.cls_token = nn.Parameter(torch.zeros(d_model))
        self.positions = nn.Parameter(0.02 * torch.randn(self.num_patches + 1, d_model))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"PatchEmbedding expects images of shape (B, {', '.join(map(str, expected))}), "
                             f"got {tuple(images.shape)}")
        tokens = self.proj(patchify(images, self.patch_size))  # (B, N, d_model)
        return add_cls_and_positions(tokens, self.cls_token, self.positions)  # (B, N + 1, d_model)


class ViT(nn.Module):
    """Patch embedding -> pre-norm utils.Encoder -> a linear head on the [CLS] position.

    images (B, C, H, W) -> logits (B, num_classes). Pre-norm and GELU, as in ViT.

    Options real checkpoints need (utils.checkpoints.vit and .clip): layer_norm_eps (google/vit uses
    1e-12), activation (CLIP: "quick_gelu"), patch_bias and head_bias (CLIP has neither), and
    embed_norm (CLIP normalises the embedded patches once more before the first layer).
    """

    def __init__(self, image_size: Union[int, tuple], patch_size: int, num_classes: int, in_channels: int = 1,
                 d_model: int = 64, num_heads: int = 4,
                 num_layers: int = 3, d_ff: int = 128, dropout: float = 0.0, layer_norm_eps: float = 1e-5,
                 activation: str = "gelu", patch_bias: bool = True,
                 head_bias: bool = True, embed_norm: bool = False):
        super().__init__()
        self.embed = PatchEmbedding(image_size, patch_size, in_channels, d_model, bias=patch_bias)
        self.embed_norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if embed_norm else None
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation=activation, layer_norm_eps=layer_norm_eps)
        self.head = nn.Linear(d_model, num_classes, bias=head_bias)

    def embeddings(self, images: torch.Tensor) -> torch.Tensor:
        """images (B, C, H, W) -> the encoder's input (B, 1 + N, d_model)."""
        x = self.embed(images)
        return x if self.embed_norm is None else self.embed_norm(x)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The encoder's output at [CLS]: (B, d_model), a summary of the whole image."""
        return self.encoder(self.embeddings(images))[:, 0]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))

    @torch.no_grad()
    def cls_attention(self, images: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Where [CLS] looks in one layer, averaged over heads, laid out on the patch grid.

        images (B, C, H, W) -> (B, grid, grid); each map sums to 1 minus the weight [CLS] gives itself.
        """
        with eval_mode(self), capture_attention(self.encoder.layers) as weights:
            self(images)
        cls_row = weights[layer][:, :, 0, 1:].mean(dim=1)  # (B, N): query [CLS], keys = the patches
        g = self.embed.grid
        return cls_row.reshape(-1, g, g)
