"""ViT image classifiers (google/vit-base-patch16-224, ...) in the course's utils.ViT.

The course's ViT is the published one: patches -> [CLS] + learned positions -> pre-norm encoder ->
a linear head on [CLS]. Only storage differs: the checkpoint embeds patches with a Conv2d whose
kernel and stride are the patch size, weight (d, C, p, p); flattened, that is exactly the course's
nn.Linear(C * p * p, d) over patchify's (channel, row, column) order. google/vit uses LayerNorm eps 1e-12.

    model, processor = load_vit("google/vit-base-patch16-224")
    pixels = processor(images=image, return_tensors="pt").pixel_values     # (1, 3, 224, 224)
    model.id2label[model(pixels).argmax(-1).item()]
"""
from typing import Optional, Union

import torch

from ..vit import ViT
from .files import activation, check_tensors, checkpoint_folder, load_preprocessor, read_config, read_weights, \
    require

ENCODER_LAYER = {"norm1": "layernorm_before", "self_attn.q_proj": "attention.attention.query",
                 "self_attn.k_proj": "attention.attention.key", "self_attn.v_proj": "attention.attention.value",
                 "self_attn.out_proj": "attention.output.dense", "norm2": "layernorm_after",
                 "feed_forward.linear1": "intermediate.dense", "feed_forward.linear2": "output.dense"}


def vit_state_dict(tensors: dict, num_layers: int, d_model: int) -> dict:
    """ViTForImageClassification's tensors -> a utils.ViT state dict."""
    state = {"embed.proj.weight": tensors["vit.embeddings.patch_embeddings.projection.weight"].reshape(d_model, -1),
             "embed.proj.bias": tensors["vit.embeddings.patch_embeddings.projection.bias"],
             "embed.cls_token": tensors["vit.embeddings.cls_token"].reshape(d_model),
             "embed.positions": tensors["vit.embeddings.position_embeddings"][0],  # (1, N + 1, d) -> (N + 1, d)
             "encoder.norm.weight": tensors["vit.layernorm.weight"], "encoder.norm.bias": tensors["vit.layernorm.bias"],
             "head.weight": tensors["classifier.weight"], "head.bias": tensors["classifier.bias"]}
    for i in range(num_layers):
        for ours, theirs in ENCODER_LAYER.items():
            for p in ("weight", "bias"):
                state[f"encoder.layers.{i}.{ours}.{p}"] = tensors[f"vit.encoder.layer.{i}.{theirs}.{p}"]
    return state


def vit_shapes(config: dict, num_labels: int) -> dict:
    """Every tensor a ViTForImageClassification checkpoint must hold, with its shape."""
    d, f, c, p = config["hidden_size"], config["intermediate_size"], config.get("num_channels", 3), config["patch_size"]
    n = (config["image_size"] // p) ** 2
    shapes = {"vit.embeddings.patch_embeddings.projection.weight": (d, c, p, p),
              "vit.embeddings.patch_embeddings.projection.bias": (d,),
              "vit.embeddings.cls_token": (1, 1, d), "vit.embeddings.position_embeddings": (1, n + 1, d),
              "vit.layernorm.weight": (d,), "vit.layernorm.bias": (d,),
              "classifier.weight": (num_labels, d), "classifier.bias": (num_labels,)}
    sizes = {"norm1": (d,), "norm2": (d,), "self_attn.q_proj": (d, d), "self_attn.k_proj": (d, d),
             "self_attn.v_proj": (d, d), "self_attn.out_proj": (d, d), "feed_forward.linear1": (f, d),
             "feed_forward.linear2": (d, f)}
    for i in range(config["num_hidden_layers"]):
        for ours, theirs in ENCODER_LAYER.items():
            shapes[f"vit.encoder.layer.{i}.{theirs}.weight"] = sizes[ours]
            shapes[f"vit.encoder.layer.{i}.{theirs}.bias"] = sizes[ours][:1]
    return shapes


def load_vit(name_or_path: str = "google/vit-base-patch16-224", device: Optional[Union[str, torch.device]] = None,
             download: Optional[bool] = None) -> tuple:
    """A ViTForImageClassification checkpoint -> (utils.ViT in eval mode with .id2label, its image processor
    or None). Raises a CheckpointError naming any missing, mis-shaped or unexpected tensor."""
    folder = checkpoint_folder(name_or_path, download)
    config = read_config(folder)
    source = f"ViT checkpoint {folder}"
    require(config, source, model_type="vit", qkv_bias=True)
    id2label = {int(i): name for i, name in config.get("id2label", {0: "LABEL_0", 1: "LABEL_1"}).items()}
    tensors = read_weights(folder)
    check_tensors(tensors, vit_shapes(config, len(id2label)), source, ignore=("vit.pooler.*",))
    model = ViT(config["image_size"], config["patch_size"], len(id2label), config.get("num_channels", 3),
                config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"],
                config["intermediate_size"], layer_norm_eps=config.get("layer_norm_eps", 1e-12),
                activation=activation(config, "hidden_act", source))
    model.load_state_dict(vit_state_dict(tensors, config["num_hidden_layers"], config["hidden_size"]), strict=True)
    model.id2label = id2label
    return model.to(device or "cpu").eval(), load_preprocessor(folder, "processor")
