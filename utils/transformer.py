"""The encoder-decoder Transformer of "Attention Is All You Need" and its scaled token embedding."""
import math
from typing import Iterable, Optional

import torch
import torch.nn as nn

from .attention import causal_mask, padding_mask
from .decoding import greedy_search
from .layers import Decoder, Encoder
from .positional import PositionalEncoding


class TokenEmbedding(nn.Module):
    """Token ids (B, L) -> vectors (B, L, d_model), scaled by sqrt(d_model) as in the original paper,
    so that embeddings and the (unit-scale) positional encoding start at comparable sizes.
    scale=False leaves them unscaled (a checkpoint trained that way needs it)."""

    def __init__(self, vocab_size: int, d_model: int, pad_id: Optional[int] = None, scale: bool = True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.scale = math.sqrt(d_model) if scale else 1.0

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"token ids must be an integer tensor, got dtype {tokens.dtype}")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.embedding.num_embeddings):
            raise ValueError(
                f"token ids must lie in [0, {self.embedding.num_embeddings}), "
                f"got min {int(tokens.min())}, max {int(tokens.max())}"
            )
        return self.embedding(tokens) * self.scale


class Transformer(nn.Module):
    """The encoder-decoder Transformer of "Attention Is All You Need", batch-first.

    forward(src (B, Ls), tgt_in (B, Lt)) -> logits (B, Lt, tgt_vocab_size), where tgt_in is the
    target shifted right (it starts with BOS) and position t predicts target token t.

    Options a real checkpoint needs (MarianMT, see utils.checkpoints.marian): activation ("relu", as in
    the paper; Marian uses "silu") and positional_layout ("interleaved" sin/cos columns, as in the
    paper; Marian puts all sines first: "halves") and scale_embedding (True: embeddings times sqrt(d_model)).
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 128, num_heads: int = 4,
                 num_layers: int = 2, d_ff: int = 512, dropout: float = 0.1, max_len: int = 256, pad_id: int = 0,
                 norm_first: bool = False, activation: str = "relu", positional_layout: str = "interleaved",
                 scale_embedding: bool = True):
        super().__init__()
        self.pad_id = pad_id
        self.max_len = max_len
        self.src_embed = TokenEmbedding(src_vocab_size, d_model, pad_id, scale_embedding)
        self.tgt_embed = TokenEmbedding(tgt_vocab_size, d_model, pad_id, scale_embedding)
        self.positional = PositionalEncoding(d_model, max_len, dropout, positional_layout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first, activation=activation)
        self.decoder = Decoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first, activation=activation)
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        for p in self.parameters():  # Glorot init for every matrix, as in the reference implementations
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def encode(self, src: torch.Tensor) -> tuple:
        """src (B, Ls) -> memory (B, Ls, d_model) and its mask (B, 1, 1, Ls)."""
        src_mask = padding_mask(src, self.pad_id)
        memory = self.encoder(self.positional(self.src_embed(src)), src_mask)
        return memory, src_mask

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """tgt_in (B, Lt) -> logits (B, Lt, tgt_vocab_size); each position sees itself and the past."""
        Lt = tgt_in.size(1)
        keys = padding_mask(tgt_in, self.pad_id)  # (B, 1, 1, Lt)
        # Position 0 is the start token, never padding, even where it shares the pad id (Marian
        # starts every translation with its pad token).
        keys[..., 0] = True
        tgt_mask = causal_mask(Lt, device=tgt_in.device) & keys  # (B, 1, Lt, Lt)
        x = self.decoder(self.positional(self.tgt_embed(tgt_in)), memory, tgt_mask, src_mask)
        return self.generator(x)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        for name, t in (("src", src), ("tgt_in", tgt_in)):
            if t.dim() != 2:
                raise ValueError(f"{name} must be token ids of shape (B, L), got {tuple(t.shape)}")
        if src.size(0) != tgt_in.size(0):
            raise ValueError(f"src and tgt_in batch sizes differ: {src.size(0)} vs {tgt_in.size(0)}")
        memory, src_mask = self.encode(src)
        return self.decode(tgt_in, memory, src_mask)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int,
                      suppress_ids: Iterable[int] = ()) -> torch.Tensor:
        """Pick the most likely next token until every sentence has produced EOS or max_len tokens.

        src (B, Ls) -> tokens (B, <= max_len + 1), starting with BOS; after a sentence's EOS
        the rest of its row is pad_id. suppress_ids: tokens never to pick (Hugging Face's
        bad_words_ids; MarianMT never writes its pad token).
        """
        memory, src_mask = self.encode(src)
        bos = torch.full((src.size(0), 1), bos_id, dtype=torch.long, device=src.device)
        return greedy_search(lambda ys: self.decode(ys, memory, src_mask)[:, -1], bos, eos_id, max_len,
                             self.pad_id, suppress_ids)
