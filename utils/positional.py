"""Sinusoidal positional encoding (Vaswani et al., 2017, section 3.5)."""
import math

import torch
import torch.nn as nn


LAYOUTS = ("interleaved", "halves")


def sinusoidal_positional_encoding(max_len: int, d_model: int, layout: str = "interleaved") -> torch.Tensor:
    """(max_len, d_model) table: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same).

    layout="halves" puts the same sines in the first half of the columns and the cosines in the
    second half, as Marian (MarianMT, fairseq) does: the same information, in another order, which
    a checkpoint trained with it needs.
    """
    if max_len < 1 or d_model < 1:
        raise ValueError(f"max_len and d_model must be positive, got {max_len} and {d_model}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    position = torch.arange(max_len, dtype=torch.float32)[:, None]  # (max_len, 1)
    # 1 / 10000^(2i/d) for the even column indices 2i, computed in log space.
    inv_freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    angles = position * inv_freq  # (max_len, ceil(d/2))
    if layout == "halves":
        return torch.cat([torch.sin(angles), torch.cos(angles[:, : d_model // 2])], dim=1)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return pe


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal table to a batch of embeddings: (B, L, d_model) -> (B, L, d_model)."""

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0, layout: str = "interleaved"):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)
        # A buffer: moves with .to(device), is not trained, and (persistent=False) is not saved: it is
        # rebuilt from the formula.
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model, layout), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.size(-1) != self.d_model:
            raise ValueError(
                f"PositionalEncoding expects (B, L, d_model={self.d_model}), got {tuple(x.shape)}"
            )
        if x.size(1) > self.max_len:
            raise ValueError(
                f"sequence length {x.size(1)} is longer than max_len={self.max_len}; "
                "build the module with a larger max_len"
            )
        return self.dropout(x + self.pe[: x.size(1)].to(x.dtype))
