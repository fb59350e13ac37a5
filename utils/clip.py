"""CLIP (Radford et al., 2021): an image encoder and a text encoder trained to agree, and zero-shot prediction.

A batch holds B images and their B captions. Both encoders map into one shared space, where the
cosine similarity of image i and caption j fills a (B, B) table. Training pulls the diagonal (the
true pairs) up and every other cell down, reading the table both by rows (which caption fits this
image?) and by columns (which image fits this caption?). No class labels are needed: afterwards an
image is classified "zero-shot" by writing one caption per class and picking the closest.
"""
from typing import Optional, Union

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import causal_mask, padding_mask
from .layers import Encoder
from .tokenization import WordTokenizer
from .vit import ViT


def _check_pairs(image_emb, text_emb, where):
    if image_emb.dim() != 2 or text_emb.dim() != 2:
        raise ValueError(f"{where} expects embeddings of shape (B, d); got {tuple(image_emb.shape)} "
                         f"and {tuple(text_emb.shape)}")
    if image_emb.size(1) != text_emb.size(1):
        raise ValueError(f"{where}: image and text embeddings must share their width d; got "
                         f"{tuple(image_emb.shape)} and {tuple(text_emb.shape)}")


def similarity(image_emb: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every image with every text: (B, d), (K, d) -> (B, K), values in [-1, 1]."""
    _check_pairs(image_emb, text_emb, "similarity")
    return F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """The symmetric contrastive (InfoNCE) loss of B matching (image, text) pairs.

    image_emb (B, d), text_emb (B, d): row i of each describes the same pair; they need not be
    normalised. logits = cosine similarities / temperature, (B, B). Reading row i, image i must pick
    text i among B texts; reading column j, text j must pick image j. The loss is the mean of the
    two cross-entropies. A low temperature sharpens the softmax over the batch.
    """
    _check_pairs(image_emb, text_emb, "clip_loss")
    if image_emb.size(0) != text_emb.size(0):
        raise ValueError(f"clip_loss needs as many texts as images (pairs); got {image_emb.size(0)} "
                         f"images and {text_emb.size(0)} texts")
    logits = similarity(image_emb, text_emb) / temperature  # (B, B), row = image, column = text
    targets = torch.arange(logits.size(0), device=logits.device)  # the pair sits on the diagonal
    return 0.5 * (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets))


def zero_shot_predict(image_emb: torch.Tensor, prompt_emb: torch.Tensor) -> torch.Tensor:
    """The index of the closest prompt (by cosine similarity) for every image.

    image_emb (B, d), prompt_emb (K, d): one embedded caption per class -> (B,) long in 0..K-1.
    """
    return similarity(image_emb, prompt_emb).argmax(dim=-1)


class TextEncoder(nn.Module):
    """Word embeddings + learned positions -> pre-norm utils.Encoder (padding masked) -> the output
    at <cls>, projected: tokens (B, L) -> (B, embed_dim).

    Options OpenAI's CLIP needs (utils.checkpoints.clip): causal=True (each token reads only its past,
    as in a GPT), pool="last" (read the last real token, CLIP's end-of-text, instead of the first),
    activation, layer_norm_eps and proj_bias=False.
    """

    def __init__(self, vocab_size: int, embed_dim: int, d_model: int = 64, num_heads: int = 4,
                 num_layers: int = 2, d_ff: int = 128,
                 max_len: int = 16, dropout: float = 0.0, pad_id: int = WordTokenizer.pad_id,
                 activation: str = "gelu", layer_norm_eps: float = 1e-5,
                 causal: bool = False, pool: str = "first", proj_bias: bool = True):
        super().__init__()
        if pool not in ("first", "last"):
            raise ValueError(f"pool must be 'first' or 'last', got {pool!r}")
        self.pad_id, self.max_len, self.causal, self.pool = pad_id, max_len, causal, pool
        self.embed = nn.Embedding(vocab_size, d_model)
        self.positions = nn.Parameter(0.02 * torch.randn(max_len, d_model))
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout=dropout, norm_first=True,
                               activation=activation, layer_norm_eps=layer_norm_eps)
        self.proj = nn.Linear(d_model, embed_dim, bias=proj_bias)

    def forward(self, tokens: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """tokens (B, L); attention_mask (B, L), 1 for real tokens and 0 for padding (default: the
        tokens that are not pad_id; pass it when the pad id is also a real token, as in CLIP)."""
        if tokens.dim() != 2 or tokens.size(1) > self.max_len:
            raise ValueError(f"TextEncoder expects token ids (B, L) with L <= {self.max_len}, "
                             f"got {tuple(tokens.shape)}")
        # (B, 1, 1, L); without an attention_mask, every token that is not pad_id is real
        mask = padding_mask(tokens, self.pad_id) if attention_mask is None else padding_mask(attention_mask)
        if self.causal:
            mask = mask & causal_mask(tokens.size(1), tokens.device)  # (B, 1, L, L)
        x = self.embed(tokens) + self.positions[: tokens.size(1)]  # (B, L, d_model)
        x = self.encoder(x, mask=mask)  # padding is never attended to
        if self.pool == "first":
            return self.proj(x[:, 0])  # (B, embed_dim), read at <cls>
        last = mask[:, 0, -1].sum(dim=-1) - 1  # (B,): the last real token (right padding)
        return self.proj(x[torch.arange(x.size(0), device=x.device), last])


class CLIP(nn.Module):
    """Two towers and a learned temperature.

    encode_image: images (B, C, H, W) -> (B, embed_dim), unit length (a ViT whose head projects)
    encode_text:  tokens (K, L)       -> (K, embed_dim), unit length
    forward(images, tokens) -> (B, K) logits = cosine similarities / temperature
    """

    def __init__(self, vocab_size: int, image_size: Union[int, tuple] = 8, patch_size: int = 2,
                 in_channels: int = 1, embed_dim: int = 32, d_model: int = 64,
                 num_heads: int = 4, num_layers: int = 2, d_ff: int = 128, max_text_len: int = 16,
                 dropout: float = 0.0, temperature: float = 0.07,
                 image_encoder: Optional[nn.Module] = None, text_encoder: Optional[nn.Module] = None):
        """image_encoder / text_encoder: towers built elsewhere (a ViT, a TextEncoder, both ending in
        embed_dim), e.g. of different widths as in OpenAI's CLIP; by default both are built here."""
        super().__init__()
        if image_encoder is None:
            image_encoder = ViT(image_size, patch_size, embed_dim, in_channels, d_model, num_heads, num_layers,
                                d_ff, dropout)
        if text_encoder is None:
            text_encoder = TextEncoder(vocab_size, embed_dim, d_model, num_heads, num_layers, d_ff, max_text_len,
                                       dropout)
        self.image_encoder, self.text_encoder = image_encoder, text_encoder
        # Learned in log space, so it stays positive; CLIP starts it at 0.07 too.
        self.log_temperature = nn.Parameter(torch.tensor(math.log(temperature)))

    @property
    def temperature(self) -> torch.Tensor:
        return self.log_temperature.exp().clamp(min=0.01)  # a floor, like CLIP's cap of 100 on 1/T

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_encoder(images), dim=-1)

    def encode_text(self, tokens: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return F.normalize(self.text_encoder(tokens, attention_mask), dim=-1)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor,
                attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.encode_image(images) @ self.encode_text(tokens, attention_mask).T / self.temperature

    def loss(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """clip_loss of B images and their B captions, at the model's current temperature."""
        return clip_loss(self.encode_image(images), self.encode_text(tokens), self.temperature)
