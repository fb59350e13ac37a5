"""BERT and DistilBERT sequence classifiers (e.g. distilbert-base-uncased-finetuned-sst-2-english, the
sentiment model Hugging Face's pipeline picks by default) in the course's BERT encoder.

Both are the course's post-norm encoder (utils.bert.BertEncoder: utils.EncoderLayer, exact GELU,
LayerNorm eps 1e-12) under a small head that reads the [CLS] position:
- BERT: the "pooler", tanh(W h_cls + b), then a linear classifier;
- DistilBERT: "pre_classifier", relu(W h_cls + b), then a linear classifier. DistilBERT also drops
  BERT's segment embedding (num_segments=0) and keeps half of its layers.
"""
import torch
import torch.nn as nn

from ..bert import BERT_LAYER, BertEncoder, hf_names
from .files import CheckpointError, check_tensors, checkpoint_folder, load_preprocessor, read_config, \
    read_weights, require


class BertClassifier(nn.Module):
    """input_ids (B, L), attention_mask (B, L) -> logits (B, num_labels), read at [CLS] (position 0).

    head_activation: "tanh" (BERT's pooler) or "relu" (DistilBERT's pre_classifier).
    id2label maps a class id to its name, as Hugging Face's config does.
    """

    def __init__(self, encoder, num_labels, head_activation="tanh", id2label=None):
        super().__init__()
        d_model = encoder.embeddings.token.embedding_dim
        self.encoder = encoder
        self.pre_classifier = nn.Linear(d_model, d_model)
        self.head_activation = {"tanh": torch.tanh, "relu": torch.relu}[head_activation]
        self.classifier = nn.Linear(d_model, num_labels)
        self.id2label = id2label or {i: f"LABEL_{i}" for i in range(num_labels)}

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
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


def classifier_names(model_type, num_layers, segments=True):
    """Our parameter name -> the checkpoint tensor name that holds it. Both sides use nn.Linear's
    (out_features, in_features) layout, so every tensor is copied as it is."""
    layer_prefix, per_layer, embeddings, head = FAMILIES[model_type]
    names = hf_names(num_layers, "encoder.", layer_prefix, embeddings, per_layer, segments)
    for ours, theirs in head.items():
        for p in ("weight", "bias"):
            names[f"{ours}.{p}"] = f"{theirs}.{p}"
    return names


def build_classifier(config, source):
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


def load_bert_classifier(name_or_path="distilbert-base-uncased-finetuned-sst-2-english", device=None,
                         download=None):
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
