"""GPT, the decoder-only language model: learned positions, causal pre-norm blocks, generate with a KV cache."""
import math
from typing import Optional

import torch
import torch.nn as nn

from .attention import KVCache
from .layers import EncoderLayer
from .runtime import check_int, eval_mode
from .sampling import _check_sampling, sample_next_token


class TokenPositionEmbedding(nn.Module):
    """Token ids (B, T) -> token vector + learned position vector, (B, T, d_model), then dropout.

    GPT and BERT learn one vector per position, up to block_size, instead of using fixed sinusoids.
    `start` is the position of the first token: with a KV cache the new token sits after the past.
    """

    def __init__(self, vocab_size: int, block_size: int, d_model: int, dropout: float = 0.0):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(block_size, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, idx: torch.Tensor, start: int = 0) -> torch.Tensor:
        if idx.dim() != 2:
            raise ValueError(f"token ids must have shape (B, T), got {tuple(idx.shape)}")
        if idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"token ids must be an integer tensor, got dtype {idx.dtype}")
        T, vocab_size, block_size = idx.size(1), self.token.num_embeddings, self.position.num_embeddings
        if T == 0:
            raise ValueError("token ids must hold at least one token per row, got T = 0")
        if start + T > block_size:
            past = f" after {start} cached tokens" if start else ""
            raise ValueError(
                f"the model has learned {block_size} positions (block_size), got {T} tokens{past}; "
                f"crop the context, e.g. idx[:, -{block_size}:] (generate does this for you)"
            )
        if idx.min() < 0 or idx.max() >= vocab_size:
            raise ValueError(f"token ids must lie in [0, {vocab_size}), got min {int(idx.min())}, max {int(idx.max())}")
        positions = torch.arange(start, start + T, device=idx.device)  # (T,), shared by the batch
        return self.dropout(self.token(idx) + self.position(positions))  # (B, T, d_model)


def _check_sizes(**sizes):
    for name, value in sizes.items():
        check_int(name, value)


def _init_language_model(model, num_layers):
    """GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the projections that write into
    the residual stream scaled by 1/sqrt(2 * num_layers), so the stream's variance does not grow
    with depth (each layer adds two such projections)."""
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            nn.init.zeros_(p)
        elif p.dim() > 1:
            residual = name.endswith(("out_proj.weight", "linear2.weight"))
            nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * num_layers) if residual else 0.02)
        # LayerNorm weights (1-D, not biases) keep their initial 1


class GPTBlock(EncoderLayer):
    """A decoder-only block: the pre-norm utils.EncoderLayer (GELU) with causal self-attention.

    A "decoder" block of a decoder-only model has no cross-attention (there is no encoder to read);
    what makes it a decoder is the causal mask. forward(x, cache=cache) with a LayerKVCache: the new
    tokens' queries attend to the cached keys and values plus their own.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.0, activation: str = "gelu"):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first=True, activation=activation, causal=True)


class GPT(nn.Module):
    """A decoder-only Transformer language model (the GPT family): predict every next token.

    idx (B, T) token ids, T <= block_size -> logits (B, T, vocab_size); the logits at position t are
    the model's guess for token t+1, made from tokens 0..t only (causal self-attention).
    Learned positions, pre-norm GPTBlocks, a final LayerNorm, and an LM head that shares its weights
    with the token embedding (weight tying: one matrix both reads and writes tokens).

    activation: "gelu" (exact) by default; "gelu_tanh" is the approximation GPT-2's checkpoints use.
    """

    def __init__(self, vocab_size: int, block_size: int, d_model: int, num_heads: int, num_layers: int, d_ff: int,
                 dropout: float = 0.0, activation: str = "gelu"):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, block_size=block_size, d_model=d_model, num_heads=num_heads,
                     num_layers=num_layers, d_ff=d_ff)
        self.block_size = block_size
        self.embed = TokenPositionEmbedding(vocab_size, block_size, d_model, dropout)
        self.blocks = nn.ModuleList(GPTBlock(d_model, num_heads, d_ff, dropout, activation)
                                    for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        _init_language_model(self, num_layers)
        self.lm_head.weight = self.embed.token.weight  # tie after init: the one matrix keeps N(0, 0.02)

    @property
    def vocab_size(self) -> int:
        return self.embed.token.num_embeddings

    def hidden(self, idx: torch.Tensor, cache: Optional[KVCache] = None) -> torch.Tensor:
        """idx (B, T) -> final hidden states (B, T, d_model). With a KVCache, idx holds only the new
        tokens; they are placed after the len(cache) cached ones, and the cache grows by T."""
        x = self.embed(idx, start=0 if cache is None else len(cache))
        for i, block in enumerate(self.blocks):
            x = block(x, cache=None if cache is None else cache.layers[i])
        return self.norm(x)

    def forward(self, idx: torch.Tensor, cache: Optional[KVCache] = None) -> torch.Tensor:
        return self.lm_head(self.hidden(idx, cache))  # (B, T, vocab_size)

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: Optional[int] = None,
                 use_cache: bool = True, generator: Optional[torch.Generator] = None,
                 eos_id: Optional[int] = None) -> torch.Tensor:
        """Extend idx (B, T) by max_new_tokens tokens, one at a time -> (B, T + max_new_tokens).

        Each new token is drawn from next_token_probs(last logits, temperature, top_k); temperature 0
        is greedy decoding. `generator` (a torch.Generator) makes the draws repeatable.
        Context longer than block_size is cropped to its last block_size tokens, as in nanoGPT:
        the model only ever sees the most recent block_size tokens.
        With use_cache, each step feeds only the newest token and reuses the cached keys and values,
        giving the same tokens as use_cache=False (up to float rounding). Once the text outgrows
        block_size, the window slides and every position shifts, so the cache is rebuilt from the
        cropped window at each step: it only saves work while the text fits in block_size.
        With eos_id (a checkpoint's end-of-text token), a row that writes it keeps writing it, and
        generation stops early once every row has: (B, T + n) with n <= max_new_tokens.
        Runs in eval mode (no dropout) and restores the previous mode.
        """
        if idx.dim() != 2 or idx.size(1) == 0:
            raise ValueError(f"idx must be token ids of shape (B, T) with T >= 1, got {tuple(idx.shape)}")
        check_int("max_new_tokens", max_new_tokens, minimum=0)
        _check_sampling(temperature, top_k)
        with eval_mode(self):
            cache = None
            finished = torch.zeros(idx.size(0), 1, dtype=torch.bool, device=idx.device)  # rows that wrote eos_id
            for _ in range(max_new_tokens):
                context = idx[:, -self.block_size:]
                if not use_cache:
                    hidden = self.hidden(context)
                elif cache is None or len(cache) >= self.block_size:
                    # First step, or the window has slid: fill a fresh cache from the whole window.
                    cache = KVCache(len(self.blocks))
                    hidden = self.hidden(context, cache)
                else:
                    hidden = self.hidden(idx[:, -1:], cache)  # only the newest token is new
                logits = self.lm_head(hidden[:, -1])  # (B, vocab): only the last position is needed
                next_token = sample_next_token(logits, temperature, top_k, generator)  # (B, 1)
                if eos_id is not None:
                    next_token = next_token.masked_fill(finished, eos_id)  # a finished row only repeats eos
                    finished = finished | (next_token == eos_id)
                idx = torch.cat([idx, next_token], dim=1)
                if eos_id is not None and finished.all():
                    break
        return idx
