"""Complete models assembled from utils.layers."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .runtime import check_int, eval_mode
from .attention import causal_mask, padding_mask
from .layers import Decoder, Encoder, EncoderLayer
from .positional import PositionalEncoding


class TokenEmbedding(nn.Module):
    """Token ids (B, L) -> vectors (B, L, d_model), scaled by sqrt(d_model) as in the original paper,
    so that embeddings and the (unit-scale) positional encoding start at comparable sizes.
    scale=False leaves them unscaled (a checkpoint trained that way needs it)."""

    def __init__(self, vocab_size, d_model, pad_id=None, scale=True):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.scale = math.sqrt(d_model) if scale else 1.0

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

    Options a real checkpoint needs (MarianMT, see utils.checkpoints.marian): activation ("relu", as in
    the paper; Marian uses "silu") and positional_layout ("interleaved" sin/cos columns, as in the
    paper; Marian puts all sines first: "halves") and scale_embedding (True: embeddings times sqrt(d_model)).
    """

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=128, num_heads=4, num_layers=2,
                 d_ff=512, dropout=0.1, max_len=256, pad_id=0, norm_first=False, activation="relu",
                 positional_layout="interleaved", scale_embedding=True):
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

    def encode(self, src):
        """src (B, Ls) -> memory (B, Ls, d_model) and its mask (B, 1, 1, Ls)."""
        src_mask = padding_mask(src, self.pad_id)
        memory = self.encoder(self.positional(self.src_embed(src)), src_mask)
        return memory, src_mask

    def decode(self, tgt_in, memory, src_mask):
        """tgt_in (B, Lt) -> logits (B, Lt, tgt_vocab_size); each position sees itself and the past."""
        Lt = tgt_in.size(1)
        keys = padding_mask(tgt_in, self.pad_id)  # (B, 1, 1, Lt)
        # Position 0 is the start token, never padding, even where it shares the pad id (Marian
        # starts every translation with its pad token).
        keys[..., 0] = True
        tgt_mask = causal_mask(Lt, device=tgt_in.device) & keys  # (B, 1, Lt, Lt)
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
    def greedy_decode(self, src, bos_id, eos_id, max_len, suppress_ids=()):
        """Pick the most likely next token until every sentence has produced EOS or max_len tokens.

        src (B, Ls) -> tokens (B, <= max_len + 1), starting with BOS; after a sentence's EOS
        the rest of its row is pad_id. suppress_ids: tokens never to pick (Hugging Face's
        bad_words_ids; MarianMT never writes its pad token).
        """
        memory, src_mask = self.encode(src)
        B = src.size(0)
        ys = torch.full((B, 1), bos_id, dtype=torch.long, device=src.device)
        finished = torch.zeros(B, dtype=torch.bool, device=src.device)
        suppress_ids = list(suppress_ids)
        for _ in range(max_len):
            logits = self.decode(ys, memory, src_mask)[:, -1]  # (B, vocab)
            if suppress_ids:
                logits[:, suppress_ids] = float("-inf")
            next_token = logits.argmax(dim=-1)
            next_token = next_token.masked_fill(finished, self.pad_id)
            ys = torch.cat([ys, next_token[:, None]], dim=1)
            finished |= next_token == eos_id
            if finished.all():
                break
        return ys


# --------------------------------------------------------------------------------------------------
# Language models: decoder-only (GPT) and encoder-only (BERT-style masked LM)
# --------------------------------------------------------------------------------------------------


class TokenPositionEmbedding(nn.Module):
    """Token ids (B, T) -> token vector + learned position vector, (B, T, d_model), then dropout.

    GPT and BERT learn one vector per position, up to block_size, instead of using fixed sinusoids.
    `start` is the position of the first token: with a KV cache the new token sits after the past.
    """

    def __init__(self, vocab_size, block_size, d_model, dropout=0.0):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(block_size, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, idx, start=0):
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


class LayerKVCache:
    """One layer's keys and values so far, each (B, num_heads, length, head_dim).

    Like a Python list, the storage over-allocates (it doubles when full), so that adding a token
    writes one slot instead of copying every earlier key with torch.cat at each step.
    """

    def __init__(self):
        self.length = 0
        self._keys = self._values = None  # (B, H, capacity, hd) buffers, filled up to self.length

    def __len__(self):
        return self.length

    @property
    def keys(self):
        return None if self._keys is None else self._keys[:, :, :self.length]

    @property
    def values(self):
        return None if self._values is None else self._values[:, :, :self.length]

    def append(self, k, v):
        """Add the new tokens' k, v (B, H, T_new, hd); return every key and value so far (B, H, T, hd)."""
        end = self.length + k.size(2)
        if self._keys is None or end > self._keys.size(2):
            B, H, _, hd = k.shape
            capacity = max(16, 2 * end)
            keys, values = k.new_empty(B, H, capacity, hd), v.new_empty(B, H, capacity, hd)
            if self.length:
                keys[:, :, :self.length] = self.keys
                values[:, :, :self.length] = self.values
            self._keys, self._values = keys, values
        self._keys[:, :, self.length:end] = k
        self._values[:, :, self.length:end] = v
        self.length = end
        return self.keys, self.values


class KVCache:
    """The keys and values that every layer of a GPT has computed so far.

    Generating token t+1 needs the keys and values of tokens 0..t. They never change once computed
    (a token only sees its past), so keeping them means each new token costs one position's work
    instead of the whole context's.
    """

    def __init__(self, num_layers):
        self.layers = [LayerKVCache() for _ in range(num_layers)]

    def __len__(self):
        return len(self.layers[0])


class GPTBlock(EncoderLayer):
    """A decoder-only block: the pre-norm utils.EncoderLayer (GELU) with causal self-attention.

    A "decoder" block of a decoder-only model has no cross-attention (there is no encoder to read);
    what makes it a decoder is the causal mask. With a cache, the new tokens' queries attend to the
    cached keys and values plus their own.
    """

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, activation="gelu"):
        super().__init__(d_model, num_heads, d_ff, dropout, norm_first=True, activation=activation)

    def causal_self_attention(self, x, cache=None):
        """x (B, T_new, d_model), cache a LayerKVCache or None -> (B, T_new, d_model)."""
        attn = self.self_attn
        q = attn.split_heads(attn.q_proj(x))  # (B, H, T_new, hd)
        k = attn.split_heads(attn.k_proj(x))
        v = attn.split_heads(attn.v_proj(x))
        if cache is not None:
            k, v = cache.append(k, v)  # (B, H, T, hd): the past, then the new tokens
        T_new, T = q.size(2), k.size(2)
        dropout_p = attn.dropout if self.training else 0.0
        if T_new == T:
            # No past: the usual lower triangle. is_causal lets the fused kernel skip the masked half.
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        elif T_new == 1:
            # One new token, the last one: it may see every cached key and itself, so no mask at all.
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        else:
            # New query i sits at position T - T_new + i and may see keys 0 .. T - T_new + i.
            mask = torch.ones(T_new, T, dtype=torch.bool, device=x.device).tril(diagonal=T - T_new)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        return self.dropout1(attn.out_proj(attn.merge_heads(out)))

    def forward(self, x, cache=None):
        x = x + self.causal_self_attention(self.norm1(x), cache)
        x = x + self._feed_forward(self.norm2(x))
        return x


def _check_sampling(temperature, top_k):
    if not isinstance(temperature, (int, float)) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    check_int("top_k", top_k, allow_none=True)


def next_token_probs(logits, temperature=1.0, top_k=None):
    """The distribution a sampler draws the next token from: logits (B, V) -> probabilities (B, V).

    Divide the logits by `temperature` (< 1 sharpens, > 1 flattens; 0 means greedy: all mass on the
    argmax), keep only the `top_k` largest (ties with the k-th are kept), then softmax.
    """
    _check_sampling(temperature, top_k)
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, vocab_size), got {tuple(logits.shape)}")
    if temperature == 0:
        return F.one_hot(logits.argmax(dim=-1), logits.size(-1)).to(logits.dtype)
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth_largest, float("-inf"))
    return torch.softmax(logits, dim=-1)


def sample_next_token(logits, temperature=1.0, top_k=None, generator=None):
    """logits (B, V) -> next token ids (B, 1): argmax if temperature is 0, else a random draw."""
    if temperature == 0:
        _check_sampling(temperature, top_k)
        return logits.argmax(dim=-1, keepdim=True)
    probs = next_token_probs(logits, temperature, top_k)
    if generator is not None and generator.device != probs.device:
        return torch.multinomial(probs.cpu(), 1, generator=generator).to(probs.device)
    return torch.multinomial(probs, 1, generator=generator)


class GPT(nn.Module):
    """A decoder-only Transformer language model (the GPT family): predict every next token.

    idx (B, T) token ids, T <= block_size -> logits (B, T, vocab_size); the logits at position t are
    the model's guess for token t+1, made from tokens 0..t only (causal self-attention).
    Learned positions, pre-norm GPTBlocks, a final LayerNorm, and an LM head that shares its weights
    with the token embedding (weight tying: one matrix both reads and writes tokens).

    activation: "gelu" (exact) by default; "gelu_tanh" is the approximation GPT-2's checkpoints use.
    """

    def __init__(self, vocab_size, block_size, d_model, num_heads, num_layers, d_ff, dropout=0.0,
                 activation="gelu"):
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
    def vocab_size(self):
        return self.embed.token.num_embeddings

    def hidden(self, idx, cache=None):
        """idx (B, T) -> final hidden states (B, T, d_model). With a KVCache, idx holds only the new
        tokens; they are placed after the len(cache) cached ones, and the cache grows by T."""
        x = self.embed(idx, start=0 if cache is None else len(cache))
        for i, block in enumerate(self.blocks):
            x = block(x, None if cache is None else cache.layers[i])
        return self.norm(x)

    def forward(self, idx, cache=None):
        return self.lm_head(self.hidden(idx, cache))  # (B, T, vocab_size)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None,
                 eos_id=None):
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


class MaskedLM(nn.Module):
    """An encoder-only Transformer trained to fill in blanks (the BERT family's objective).

    idx (B, T) with some tokens replaced by <mask> -> logits (B, T, vocab_size): a guess for the
    original token at every position, made from the tokens on *both* sides (no causal mask).
    Learned positions, a pre-norm utils.Encoder (GELU), and a weight-tied output layer, like GPT;
    the only difference that matters is the mask, and so what each position may read.
    """

    def __init__(self, vocab_size, block_size, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, block_size=block_size, d_model=d_model, num_heads=num_heads,
                     num_layers=num_layers, d_ff=d_ff)
        self.block_size = block_size
        self.embed = TokenPositionEmbedding(vocab_size, block_size, d_model, dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first=True, activation="gelu")
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        _init_language_model(self, num_layers)
        self.lm_head.weight = self.embed.token.weight

    def hidden(self, idx, attention_mask=None):
        """idx (B, T) -> contextual vectors (B, T, d_model). attention_mask (B, T): 1/True for real
        tokens, 0/False for padding that no token should read."""
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != idx.shape:
                raise ValueError(f"attention_mask must have the shape of idx {tuple(idx.shape)}, "
                                 f"got {tuple(attention_mask.shape)}")
            mask = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, T): every query, real keys only
        return self.encoder(self.embed(idx), mask)

    def forward(self, idx, attention_mask=None):
        return self.lm_head(self.hidden(idx, attention_mask))  # (B, T, vocab_size)
