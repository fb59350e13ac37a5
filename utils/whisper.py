"""Whisper (Radford et al., 2022) in miniature: a speech-to-text encoder-decoder, its loss and the character error rate.

The model is an encoder-decoder Transformer from utils: two 1-D convolutions (the second halves the
frame rate) and an Encoder read a log-mel spectrogram (utils.spectrogram); a Decoder writes the
characters one at a time while cross-attending to the audio. It is scored by character error rate.
"""
from typing import Iterable, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import capture_attention, causal_mask, padding_mask
from .decoding import greedy_search
from .layers import Decoder, Encoder
from .positional import sinusoidal_positional_encoding
from .runtime import eval_mode
from .tokenization import CharVocab


class AudioEncoder(nn.Module):
    """log-mel (B, T, n_mels) -> (B, ceil(T / 2), d_model).

    Each clip is first standardised (zero mean, unit variance). Then, as in Whisper: two 1-D
    convolutions over time with GELU (the second with stride 2, halving the sequence the attention
    must read), fixed sinusoidal positions, then a pre-norm Encoder.
    """

    def __init__(self, n_mels: int, d_model: int = 64, num_heads: int = 4, num_layers: int = 2, d_ff: int = 128,
                 dropout: float = 0.0, max_frames: int = 1000,
                 standardize: bool = True):
        super().__init__()
        self.n_mels, self.standardize = n_mels, standardize
        self.conv1 = nn.Conv1d(n_mels, d_model, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d_model, d_model, kernel_size=3, stride=2, padding=1)
        self.register_buffer("positions", sinusoidal_positional_encoding(max_frames, d_model), persistent=False)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation="gelu")

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        if mels.dim() != 3 or mels.size(-1) != self.n_mels:
            raise ValueError(f"AudioEncoder expects log-mel features (B, T, n_mels={self.n_mels}), "
                             f"got {tuple(mels.shape)}")
        if self.standardize:
            # Standardise each clip. Whisper's log-mels sit near 1 with a small spread; a small model
            # trained for a few hundred steps learns far faster from zero-mean, unit-variance inputs.
            # (The real Whisper, trained for long on its own scale, reads them as they are: standardize=False.)
            mean = mels.mean(dim=(1, 2), keepdim=True)
            std = mels.std(dim=(1, 2), keepdim=True).clamp(min=1e-5)
            mels = (mels - mean) / std
        x = F.gelu(self.conv1(mels.transpose(1, 2)))  # Conv1d wants (B, channels, T)
        x = F.gelu(self.conv2(x)).transpose(1, 2)  # (B, ceil(T / 2), d_model)
        if x.size(1) > self.positions.size(0):
            raise ValueError(f"{mels.size(1)} frames are too many for max_frames={self.positions.size(0)}")
        return self.encoder(x + self.positions[: x.size(1)])


class SpeechToText(nn.Module):
    """A tiny Whisper: AudioEncoder + a character Decoder with cross-attention.

    forward(mels (B, T, n_mels), tokens (B, L)) -> next-character logits (B, L, vocab_size).
    The output layer shares the token embedding's weights, as in Whisper.
    max_frames and standardize are the AudioEncoder's (the real Whisper: 1500 and False).
    """

    def __init__(self, n_mels: int = 40, vocab_size: int = 13, d_model: int = 64, num_heads: int = 4,
                 num_layers: int = 2, d_ff: int = 128, dropout: float = 0.0,
                 max_text_len: int = 16, pad_id: int = CharVocab.pad_id, max_frames: int = 1000,
                 standardize: bool = True):
        super().__init__()
        self.pad_id, self.max_text_len = pad_id, max_text_len
        self.audio_encoder = AudioEncoder(n_mels, d_model, num_heads, num_layers, d_ff, dropout, max_frames,
                                          standardize)
        self.embed = nn.Embedding(vocab_size, d_model)
        # Small, as in GPT-2: the tied output layer multiplies a unit-variance (normed) state by these
        # rows, and N(0, 1) rows would start the softmax saturated.
        nn.init.normal_(self.embed.weight, std=0.02)
        self.positions = nn.Parameter(0.02 * torch.randn(max_text_len, d_model))
        self.decoder = Decoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation="gelu")

    def decode(self, memory: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """memory (B, S, d_model) encoded audio, tokens (B, L) -> logits (B, L, vocab_size)."""
        if tokens.dim() != 2 or tokens.size(1) > self.max_text_len:
            raise ValueError(f"tokens must be (B, L) with L <= {self.max_text_len}, got {tuple(tokens.shape)}")
        L = tokens.size(1)
        x = self.embed(tokens) + self.positions[:L]
        # Position t sees characters 0..t only; a padded character is never read (it comes after <eos>).
        mask = causal_mask(L, tokens.device) & padding_mask(tokens, self.pad_id)  # (B, 1, L, L)
        x = self.decoder(x, memory, tgt_mask=mask)
        return x @ self.embed.weight.T  # tied output layer

    def forward(self, mels: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return self.decode(self.audio_encoder(mels), tokens)

    @torch.no_grad()
    def generate(self, mels: torch.Tensor, prefix: torch.Tensor, eos_id: int, max_new_tokens: int,
                 suppress_ids: Iterable[int] = (), begin_suppress_ids: Iterable[int] = ()) -> torch.Tensor:
        """Greedy decoding: extend prefix (B, P) with the likeliest token until every row has written
        eos_id, or max_new_tokens times -> (B, <= P + max_new_tokens) ids, pad_id after a row's eos_id.
        suppress_ids: tokens never to write; begin_suppress_ids: tokens not to write first (Whisper's
        suppress_tokens and begin_suppress_tokens: no empty transcript, no leading space)."""
        with eval_mode(self):
            memory = self.audio_encoder(mels)  # once: every step reads the same audio
            return greedy_search(lambda tokens: self.decode(memory, tokens)[:, -1], prefix, eos_id,
                                 max_new_tokens, self.pad_id, suppress_ids, begin_suppress_ids)

    def transcribe(self, mels: torch.Tensor, vocab: CharVocab, max_len: Optional[int] = None) -> list:
        """Greedy decoding: start from <bos>, append the likeliest character until <eos>. -> B strings."""
        prefix = torch.full((mels.size(0), 1), vocab.bos_id, dtype=torch.long, device=mels.device)
        tokens = self.generate(mels, prefix, vocab.eos_id, (max_len or self.max_text_len) - 1)
        return [vocab.decode(row[1:]) for row in tokens]

    @torch.no_grad()
    def cross_attention(self, mels: torch.Tensor, tokens: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """Where each character looks in the audio: (B, L, S) weights of one decoder layer,
        averaged over heads (row t: the query that predicts character t + 1)."""
        with eval_mode(self), capture_attention(self.decoder.layers, "cross_attn") as weights:
            self(mels, tokens)
        return weights[layer].mean(dim=1)


def transcript_loss(model: nn.Module, batch: tuple, pad_id: int = CharVocab.pad_id) -> torch.Tensor:
    """Cross-entropy of next-character prediction, skipping padding. batch = (mels, inputs, targets)."""
    mels, inputs, targets = batch
    logits = model(mels, inputs)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=pad_id)


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions that turn a into b."""
    previous = list(range(len(b) + 1))  # distances from the empty prefix of a
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1,  # delete char_a
                               current[j - 1] + 1,  # insert char_b
                               previous[j - 1] + (char_a != char_b)))  # substitute (or keep)
        previous = current
    return previous[-1]


def character_error_rate(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Total edit distance / total reference length over a corpus (0 = perfect; can exceed 1)."""
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions for {len(references)} references")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references are empty: the character error rate is undefined")
    return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / total
