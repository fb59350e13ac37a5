"""BERT, the encoder-only family: lesson 05's masked LM, BERT's encoder (all-MiniLM-L6-v2's), sentence heads.

MaskedLM is lesson 05's small BERT-style model trained to fill in blanks. BertEncoder is a real
pretrained encoder's architecture rebuilt from this library's own modules: all-MiniLM-L6-v2, a
sentence encoder, is a small BERT (6 post-norm layers, 12 heads, d_model 384, d_ff 1536, GELU) whose
token vectors are mean-pooled and L2-normalised into one vector per sentence. Nothing here is new
maths: the layers are ``utils.EncoderLayer``s, and the only BERT-specific part is its embeddings
(learned positions and a segment embedding, then a LayerNorm). Its loaders, which pour published
weights into it (``load_minilm``, ``load_bert``), are in ``utils.checkpoints.bert``; the tests check the
result against ``transformers`` and ``sentence-transformers``.

    model, tokenizer = utils.load_minilm()
    vectors = model.encode(["A cat sits.", "A dog runs."])   # (2, 384), unit length
    tokens, attn = model.attention_maps("The cat sat.")      # attn (6, 12, L, L)
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import capture_attention, padding_mask
from .gpt import TokenPositionEmbedding, _check_sizes, _init_language_model
from .layers import Encoder, EncoderLayer


class MaskedLM(nn.Module):
    """An encoder-only Transformer trained to fill in blanks (the BERT family's objective).

    idx (B, T) with some tokens replaced by <mask> -> logits (B, T, vocab_size): a guess for the
    original token at every position, made from the tokens on *both* sides (no causal mask).
    Learned positions, a pre-norm utils.Encoder (GELU), and a weight-tied output layer, like GPT;
    the only difference that matters is the mask, and so what each position may read.
    """

    def __init__(self, vocab_size: int, block_size: int, d_model: int, num_heads: int, num_layers: int, d_ff: int,
                 dropout: float = 0.0):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, block_size=block_size, d_model=d_model, num_heads=num_heads,
                     num_layers=num_layers, d_ff=d_ff)
        self.block_size = block_size
        self.embed = TokenPositionEmbedding(vocab_size, block_size, d_model, dropout)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_ff, dropout, norm_first=True, activation="gelu")
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        _init_language_model(self, num_layers)
        self.lm_head.weight = self.embed.token.weight

    def hidden(self, idx: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """idx (B, T) -> contextual vectors (B, T, d_model). attention_mask (B, T): 1/True for real
        tokens, 0/False for padding that no token should read."""
        mask = None
        if attention_mask is not None:
            if attention_mask.shape != idx.shape:
                raise ValueError(f"attention_mask must have the shape of idx {tuple(idx.shape)}, "
                                 f"got {tuple(attention_mask.shape)}")
            mask = padding_mask(attention_mask)  # (B, 1, 1, T): every query, real keys only
        return self.encoder(self.embed(idx), mask)

    def forward(self, idx: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.lm_head(self.hidden(idx, attention_mask))  # (B, T, vocab_size)


class BertEmbeddings(nn.Module):
    """Token ids (B, L) -> vectors (B, L, d_model): token + position + segment embeddings, then LayerNorm.

    Unlike the original Transformer, BERT *learns* one vector per position (up to max_len) instead
    of using sinusoids, and adds a segment ("token type") vector saying whether a token belongs to
    the first or the second sentence of a pair. A single sentence is all segment 0.
    num_segments=0 leaves the segment embedding out, as DistilBERT does.
    """

    def __init__(self, vocab_size: int, d_model: int, max_len: int, num_segments: int,
                 layer_norm_eps: float):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.segment = nn.Embedding(num_segments, d_model) if num_segments else None
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        B, L = input_ids.shape
        if L > self.position.num_embeddings:
            raise ValueError(
                f"sequence of length {L} is longer than the {self.position.num_embeddings} "
                "positions this model has learned"
            )
        positions = torch.arange(L, device=input_ids.device)  # (L,), the same for every sentence
        x = self.token(input_ids) + self.position(positions)  # (B, L, d)
        if self.segment is not None:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            x = x + self.segment(token_type_ids)
        return self.norm(x)


class BertEncoder(nn.Module):
    """BERT's encoder stack built from utils.EncoderLayer, plus sentence-embedding helpers.

    forward(input_ids (B, L), attention_mask (B, L), token_type_ids (B, L)) -> hidden (B, L, d_model).
    Inference only: there is no dropout (the layers are built with dropout=0.0).
    """

    def __init__(self, vocab_size: int = 30522, d_model: int = 384, num_heads: int = 12, num_layers: int = 6,
                 d_ff: int = 1536,
                 max_len: int = 512, num_segments: int = 2, layer_norm_eps: float = 1e-12,
                 tokenizer: Optional[object] = None):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab_size, d_model, max_len, num_segments, layer_norm_eps)
        # BERT is post-norm (x = norm(x + sublayer(x))) with exact-erf GELU and LayerNorm eps 1e-12.
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, d_ff, dropout=0.0, norm_first=False,
                         activation="gelu", layer_norm_eps=layer_norm_eps)
            for _ in range(num_layers)
        )
        self.tokenizer = tokenizer  # a tokenizers.Tokenizer (not a module, so .to() leaves it alone)

    @property
    def device(self) -> torch.device:
        return self.embeddings.token.weight.device

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                token_type_ids: Optional[torch.Tensor] = None, need_weights: bool = False) -> torch.Tensor:
        """input_ids (B, L) ints; attention_mask (B, L), 1/True for real tokens, 0/False for padding.
        Returns the last hidden states (B, L, d_model), plus, if need_weights, the attention
        weights of every layer stacked to (num_layers, B, num_heads, L, L)."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (B, L), got {tuple(input_ids.shape)}")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if attention_mask.shape != input_ids.shape:
            raise ValueError(
                f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
                f"got {tuple(attention_mask.shape)}"
            )
        # Every query may look at every real key, never at padding: (B, 1, 1, L), True = may attend,
        # broadcast over heads and queries. Padding *queries* still get outputs; pooling ignores them.
        mask = padding_mask(attention_mask)
        x = self.embeddings(input_ids, token_type_ids)  # (B, L, d_model)
        with capture_attention(self.layers if need_weights else []) as weights:
            for layer in self.layers:
                x = layer(x, mask)
        return (x, torch.stack(weights)) if need_weights else x  # weights (num_layers, B, H, L, L)

    def tokenize(self, sentences: Union[str, Sequence]) -> dict:
        """A str or a list of str -> dict of (B, L) long tensors on the model's device:
        input_ids, attention_mask (1 = real token, 0 = padding), token_type_ids (0 for a single
        sentence; an item may also be a (first, second) pair of str, whose second part gets 1).
        The batch is padded on the right to its longest sentence."""
        if isinstance(sentences, str):
            sentences = [sentences]
        sentences = list(sentences)

        def is_text(item):
            return isinstance(item, str) or (
                isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(s, str) for s in item))

        not_text = [type(s).__name__ for s in sentences if not is_text(s)]
        if not_text:
            raise ValueError(
                "expected a str or a list of str (or of (str, str) pairs), got a list holding "
                + ", ".join(sorted(set(not_text))))
        if not sentences:
            raise ValueError("expected at least one sentence to tokenize, got an empty list")
        encodings = self.tokenizer.encode_batch(sentences)

        def as_tensor(field):
            return torch.tensor([getattr(e, field) for e in encodings], dtype=torch.long, device=self.device)

        return {
            "input_ids": as_tensor("ids"),
            "attention_mask": as_tensor("attention_mask"),
            "token_type_ids": as_tensor("type_ids"),
        }

    @torch.inference_mode()
    def encode(self, sentences: Union[str, Sequence], batch_size: int = 32) -> torch.Tensor:
        """A str or a list of n str -> (n, d_model) float tensor on the CPU, one unit vector per sentence:
        the mean of its real tokens' last hidden states (padding excluded), L2-normalised,
        so that the dot product of two rows is their cosine similarity."""
        if isinstance(sentences, str):
            sentences = [sentences]
        sentences = list(sentences)
        d_model = self.embeddings.token.embedding_dim
        if not sentences:
            return torch.empty(0, d_model)
        vectors = []
        for start in range(0, len(sentences), batch_size):
            batch = self.tokenize(sentences[start:start + batch_size])
            hidden = self(**batch)  # (B, L, d_model)
            mean = mean_pool(hidden, batch["attention_mask"])  # (B, d_model)
            vectors.append(F.normalize(mean, p=2, dim=-1).cpu())
        return torch.cat(vectors)

    @torch.inference_mode()
    def attention_maps(self, sentence: str) -> tuple:
        """One sentence -> (tokens, attn): its wordpieces as strings, [CLS] first and [SEP] last,
        and a CPU tensor (num_layers, num_heads, L, L) whose row i says where token i looks."""
        if not isinstance(sentence, str):
            raise ValueError(f"attention_maps takes one sentence, a str; got {type(sentence).__name__}")
        batch = self.tokenize([sentence])
        _, weights = self(**batch, need_weights=True)  # (layers, 1, H, L, L)
        tokens = [self.tokenizer.id_to_token(i) for i in batch["input_ids"][0].tolist()]
        return tokens, weights[:, 0].cpu()


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """hidden (B, L, d), attention_mask (B, L) 1/0 -> (B, d): the mean of each row's real tokens.

    Padding must not count: a short sentence padded to the batch's longest would otherwise be
    averaged with vectors that mean nothing, and its embedding would depend on its neighbours.
    """
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, L, 1), 0 on padding
    return (hidden * real).sum(dim=1) / real.sum(dim=1).clamp(min=1e-9)


class SentenceClassifier(nn.Module):
    """A pretrained encoder, frozen, and a linear head on its sentence embedding.

    forward(input_ids (B, L), attention_mask (B, L)) -> logits (B, num_labels). The sentence
    embedding is MiniLM's own: the mean of the token vectors, L2-normalised (see BertEncoder.encode),
    so the head sees exactly the vectors it was trained on. id2label maps a class id to its name.
    """

    def __init__(self, encoder: nn.Module, labels: Sequence):
        super().__init__()
        self.encoder = encoder
        self.labels = list(labels)
        self.head = nn.Linear(encoder.embeddings.token.embedding_dim, len(self.labels))

    @property
    def id2label(self) -> dict:
        return dict(enumerate(self.labels))

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids, attention_mask)  # (B, L, d)
        return F.normalize(mean_pool(hidden, attention_mask), dim=-1)  # (B, d), unit length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(input_ids, attention_mask))  # (B, num_labels)
