"""Handwritten digits: scikit-learn's 8x8 images, their augmentation, and generated captions (lesson 07)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# How the training captions are phrased. Zero-shot prompts may use another phrasing (see the lesson).
CAPTION_TEMPLATES = ("a handwritten {}", "the digit {}", "{} written by hand", "a scanned {}",
                     "a small drawing of the number {}", "the number {} in ink")


def load_digit_images(test_size: float = 0.25, seed: int = 0) -> tuple:
    """scikit-learn's handwritten digits (1797 images, 8x8, shipped with the package: no download),
    split with the same class balance in both parts.

    -> train_images (N, 1, 8, 8) float32 in [0, 1], train_labels (N,) long, test_images, test_labels.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0  # pixel values are 0..16
    labels = torch.tensor(digits.target, dtype=torch.long)
    train, test = train_test_split(torch.arange(len(labels)).numpy(), test_size=test_size, random_state=seed,
                                   stratify=digits.target)
    return images[train], labels[train], images[test], labels[test]


def random_shift(images: torch.Tensor, max_shift: int = 1, p: float = 0.5,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Data augmentation: move each image by up to max_shift pixels in each direction, with
    probability p (else keep it), filling with zeros. (B, C, H, W) -> (B, C, H, W).

    A handwritten digit drawn one pixel to the left is the same digit; on 8x8 images that is a big
    change, and seeing it teaches the model what does not matter.
    """
    if images.dim() != 4:
        raise ValueError(f"random_shift expects images of shape (B, C, H, W), got {tuple(images.shape)}")
    B, C, H, W = images.shape
    m = max_shift
    shifts = torch.randint(-m, m + 1, (2, B), generator=generator)  # (dy, dx) per image
    shifts = shifts * (torch.rand(B, generator=generator) < p)  # the unlucky ones stay put
    padded = F.pad(images, (m, m, m, m))  # (B, C, H + 2m, W + 2m)
    rows = (m - shifts[0])[:, None] + torch.arange(H)  # (B, H): output row r reads padded row r + m - dy
    cols = (m - shifts[1])[:, None] + torch.arange(W)  # (B, W)
    batch = torch.arange(B)[:, None, None, None]
    channel = torch.arange(C)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def caption_digits(labels: Sequence, generator: Optional[torch.Generator] = None,
                   templates: Sequence[str] = CAPTION_TEMPLATES) -> list:
    """One caption per label, in a randomly chosen phrasing: tensor([7, 0]) -> ["a scanned seven", ...]."""
    labels = torch.as_tensor(labels).reshape(-1)
    if labels.numel() and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"digit labels must lie in 0..9, got values from {labels.min()} to {labels.max()}")
    picks = torch.randint(0, len(templates), (labels.numel(),), generator=generator)
    return [templates[t].format(DIGIT_NAMES[d]) for t, d in zip(picks.tolist(), labels.tolist())]
