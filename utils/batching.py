"""Batching: padding token lists into one tensor, grouping inputs by length, and language-model batches.

    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)       # (2, 3) each, mask 0 on padding
    x, y = get_batch(train_ids, block_size=64, batch_size=32)  # next-token blocks: y is x shifted by one
    inputs, labels = mask_tokens(x, mask_id, vocab_size)    # BERT's 80/10/10 masking rule
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch

from .runtime import check_int

if TYPE_CHECKING:  # utils.tokenization imports this module
    from .tokenization import BPETokenizer, CharTokenizer

IGNORE_INDEX = -100  # label of a position that the loss skips (F.cross_entropy's default)


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists of different lengths -> input_ids (B, L) and attention_mask (B, L), both long.

    Every row is padded on the right with pad_id up to the longest, L; the mask is 1 on real tokens
    and 0 on padding, so that attention and pooling can ignore the padding.
    """
    sequences = [list(s) for s in sequences]
    if not sequences:
        raise ValueError("pad_batch needs at least one sequence, got none")
    if any(len(s) == 0 for s in sequences):
        raise ValueError("every sequence must hold at least one token id")
    longest = max(map(len, sequences))
    input_ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    attention_mask = torch.zeros(len(sequences), longest, dtype=torch.long)
    for row, ids in enumerate(sequences):
        input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention_mask[row, :len(ids)] = 1
    return input_ids, attention_mask


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Group input indices into batches of similar length -> a list of lists of indices.

    Sort the indices by length (longest first, ties in input order) and cut the sorted list into
    chunks of batch_size: neighbours in a batch then have similar lengths, so little padding is
    needed. Every index appears exactly once; the caller puts results back in input order.
    """
    check_int("batch_size", batch_size)
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # sorted() is stable
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def padding_fraction(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """The share of the padded batches' positions that are padding: 0 means no wasted work."""
    total = sum(len(b) * max(lengths[i] for i in b) for b in batches if b)
    return 1 - sum(lengths) / total if total else 0.0


def trim_padding(tokens: torch.Tensor, pad_id: int = 0) -> torch.Tensor:
    """Drop the columns on the right of (B, L) that are padding in every row."""
    used = (tokens != pad_id).any(dim=0).nonzero()
    return tokens[:, : int(used.max()) + 1] if len(used) else tokens[:, :0]


# --- Next-token blocks (decoder-only language models) and BERT's masking (encoder-only) ---------------

def _check_data(data, block_size):
    if not torch.is_tensor(data) or data.dim() != 1 or data.dtype != torch.long:
        what = f"shape {tuple(data.shape)}, dtype {data.dtype}" if torch.is_tensor(data) else type(data).__name__
        raise ValueError(f"data must be a 1-D torch.long tensor of token ids, got {what}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    if len(data) < block_size + 1:
        raise ValueError(f"data has {len(data)} tokens; a block of {block_size} needs at least {block_size + 1}")


def blocks_at(data: torch.Tensor, starts: torch.Tensor | Sequence[int], block_size: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets for the blocks that start at `starts`.

    data (N,) token ids, starts (B,) -> x (B, block_size) = data[s : s + T],
    y (B, block_size) = data[s + 1 : s + T + 1]: y[b, t] is the token that follows x[b, t].
    """
    _check_data(data, block_size)
    starts = torch.as_tensor(starts, dtype=torch.long)
    if starts.dim() != 1:
        raise ValueError(f"starts must be a 1-D tensor of offsets, got shape {tuple(starts.shape)}")
    if len(starts) and (starts.min() < 0 or starts.max() > len(data) - block_size - 1):
        raise ValueError(
            f"block starts must lie in [0, {len(data) - block_size - 1}] for {len(data)} tokens "
            f"and block_size {block_size}, got min {int(starts.min())}, max {int(starts.max())}"
        )
    offsets = starts[:, None] + torch.arange(block_size + 1)  # (B, T + 1)
    chunk = data[offsets]
    return chunk[:, :-1], chunk[:, 1:]


def get_batch(data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator | None = None,
              device: str | torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` blocks at random offsets -> x, y, both (batch_size, block_size) on `device`."""
    _check_data(data, block_size)
    starts = torch.randint(0, len(data) - block_size, (batch_size,), generator=generator)
    x, y = blocks_at(data, starts, block_size)
    return x.to(device), y.to(device)


def lm_batches(data: torch.Tensor, block_size: int, batch_size: int, seed: int = 0,
               device: str | torch.device | None = None) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A zero-argument function returning the next random (x, y) batch, for utils.train.

    It owns its random generator, so the batches are the same for the same seed whatever
    else the notebook draws from torch's global generator.
    """
    generator = torch.Generator().manual_seed(seed)
    return lambda: get_batch(data, block_size, batch_size, generator, device)


def mask_tokens(tokens: torch.Tensor, mask_id: int, vocab_size: int, mask_prob: float = 0.15,
                special_ids: Sequence[int] = (), generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking rule -> (inputs, labels), both shaped like `tokens`.

    Each position that is not a special token is chosen with probability `mask_prob`. A chosen
    position's label is its original token; every other label is IGNORE_INDEX (-100), so the loss
    only scores chosen positions. Of the chosen inputs, 80% become <mask>, 10% a random regular
    token, 10% stay as they are: the model cannot tell which inputs are intact, so it must build a
    good representation of every token, and it is not thrown by never seeing <mask> at test time.
    """
    if tokens.dtype != torch.long:
        raise ValueError(f"tokens must be a torch.long tensor of ids, got dtype {tokens.dtype}")
    if not 0 <= mask_prob <= 1:
        raise ValueError(f"mask_prob must lie in [0, 1], got {mask_prob}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must lie in [0, vocab_size={vocab_size}), got {mask_id}")
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(
            f"token ids must lie in [0, {vocab_size}), got min {int(tokens.min())}, max {int(tokens.max())}"
        )
    device = tokens.device
    special = torch.zeros(vocab_size, dtype=torch.bool)
    special[list(special_ids)] = True
    regular_ids = (~special).nonzero().squeeze(1).to(device)  # what a random replacement draws from

    def uniform():  # drawn on the CPU, so a seeded generator gives the same masks on every device
        return torch.rand(tokens.shape, generator=generator).to(device)

    chosen = (uniform() < mask_prob) & ~special.to(device)[tokens]
    labels = tokens.masked_fill(~chosen, IGNORE_INDEX)
    action = uniform()
    to_mask = chosen & (action < 0.8)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    random_tokens = regular_ids[torch.randint(len(regular_ids), tokens.shape, generator=generator).to(device)]
    inputs = tokens.masked_fill(to_mask, mask_id)
    inputs = torch.where(to_random, random_tokens, inputs)
    return inputs, labels


def mlm_batches(data: torch.Tensor, block_size: int, batch_size: int, tokenizer: CharTokenizer | BPETokenizer,
                mask_prob: float = 0.15, seed: int = 0, device: str | torch.device | None = None
                ) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A zero-argument function returning the next (inputs, labels) masked batch, for utils.train."""
    generator = torch.Generator().manual_seed(seed)

    def next_batch():
        x, _ = get_batch(data, block_size, batch_size, generator)
        inputs, labels = mask_tokens(x, tokenizer.mask_id, tokenizer.vocab_size, mask_prob,
                                     tokenizer.special_ids, generator)
        return inputs.to(device), labels.to(device)

    return next_batch
