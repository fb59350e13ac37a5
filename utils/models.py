"""Complete models assembled from utils.layers."""
import math

import torch
import torch.nn as nn

from .attention import causal_mask, padding_mask
from .layers import Decoder, Encoder
from .positional import PositionalEncoding


class TokenEmbedding(nn.Module):
    """Token ids (B, L) -> vectors (B, L, d_model), scaled by sqrt(d_model) as in the original paper,
    so that embeddings and the (unit-scale) positional encoding start at comparable sizes."""

    def __init__(self, vocab_size, d_model, pad_id=None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.scale = math.sqrt(d_model)

    def forward(self, tokens):
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
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=128, num_heads=4, num_layers=2,
                 d_ff=512, dropout=0.1, max_len=256, pad_id=0, norm_first=False):
        super().__init__()
        self.pad_id = pad_id
        self.max_len = max_len
        self.src_embed = TokenEmbedding(src_vocab_size, d_model, pad_id)
        self.tgt_embed = TokenEmbedding(tgt_vocab_size, d_model, pad_id)
        self.positional = PositionalEncoding(d_model, max_len, dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first)
        self.decoder = Decoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first)
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        for p in self.parameters():  # Glorot init for every matrix, as in the reference implementations
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def encode(self, src):
        """src (B, Ls) -> memory (B, Ls, d_model) and its mask (B, 1, 1, Ls)."""
        src_mask = padding_mask(src, self.pad_id)
        memory = self.encoder(self.positional(self.src_embed(src)), src_mask)
        return memory, src_mask

    def decode(self, tgt_in, memory, src_mask):
        """tgt_in (B, Lt) -> logits (B, Lt, tgt_vocab_size); each position sees itself and the past."""
        Lt = tgt_in.size(1)
        tgt_mask = causal_mask(Lt, device=tgt_in.device) & padding_mask(tgt_in, self.pad_id)  # (B, 1, Lt, Lt)
        x = self.decoder(self.positional(self.tgt_embed(tgt_in)), memory, tgt_mask, src_mask)
        return self.generator(x)

    def forward(self, src, tgt_in):
        for name, t in (("src", src), ("tgt_in", tgt_in)):
            if t.dim() != 2:
                raise ValueError(f"{name} must be token ids of shape (B, L), got {tuple(t.shape)}")
        if src.size(0) != tgt_in.size(0):
            raise ValueError(f"src and tgt_in batch sizes differ: {src.size(0)} vs {tgt_in.size(0)}")
        memory, src_mask = self.encode(src)
        return self.decode(tgt_in, memory, src_mask)

    @torch.no_grad()
    def greedy_decode(self, src, bos_id, eos_id, max_len):
        """Pick the most likely next token until every sentence has produced EOS or max_len tokens.

        src (B, Ls) -> tokens (B, <= max_len + 1), starting with BOS; after a sentence's EOS
        the rest of its row is pad_id.
        """
        memory, src_mask = self.encode(src)
        B = src.size(0)
        ys = torch.full((B, 1), bos_id, dtype=torch.long, device=src.device)
        finished = torch.zeros(B, dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            logits = self.decode(ys, memory, src_mask)[:, -1]  # (B, vocab)
            next_token = logits.argmax(dim=-1)
            next_token = next_token.masked_fill(finished, self.pad_id)
            ys = torch.cat([ys, next_token[:, None]], dim=1)
            finished |= next_token == eos_id
            if finished.all():
                break
        return ys
