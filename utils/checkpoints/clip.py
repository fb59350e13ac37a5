"""OpenAI's CLIP checkpoints (openai/clip-vit-base-patch32, ...) in the course's utils.CLIP.

OpenAI's CLIP (openai/clip-vit-base-patch32, ...) in the course's utils.CLIP: a ViT image tower and a
Transformer text tower whose outputs are compared by cosine similarity.

What differs from lesson 07's mini CLIP, each a named option of utils.ViT or utils.TextEncoder:
- both towers use quick_gelu and LayerNorm eps 1e-5, and project without a bias;
- the image tower embeds patches without a bias and normalises the embeddings once more (pre_layrnorm,
  the ViT's embed_norm) before the first layer;
- the text tower is causal, like a GPT, and reads its last real token (end-of-text), not the first;
- the towers have different widths, so utils.CLIP takes them ready-built.
CLIP learns log(1 / temperature) ("logit_scale"); the course learns log(temperature): one sign apart.

    model, processor = load_clip("openai/clip-vit-base-patch32")
    inputs = processor(text=["a photo of a cat", "a photo of a dog"], images=image, return_tensors="pt", padding=True)
    model(inputs.pixel_values, inputs.input_ids, inputs.attention_mask).softmax(-1)   # (1, 2) probabilities
"""
from typing import Optional, Union

import torch

from ..clip import CLIP, TextEncoder
from ..vit import ViT
from .files import activation, check_tensors, checkpoint_folder, load_preprocessor, read_config, read_weights

LAYER = {"norm1": "layer_norm1", "self_attn.q_proj": "self_attn.q_proj", "self_attn.k_proj": "self_attn.k_proj",
         "self_attn.v_proj": "self_attn.v_proj", "self_attn.out_proj": "self_attn.out_proj", "norm2": "layer_norm2",
         "feed_forward.linear1": "mlp.fc1", "feed_forward.linear2": "mlp.fc2"}


def clip_towers(config: dict, source: str) -> tuple:
    """CLIPConfig (a dict) -> (the image tower, a utils.ViT; the text tower, a utils.TextEncoder), untrained."""
    v, t, proj = config["vision_config"], config["text_config"], config["projection_dim"]
    image = ViT(v["image_size"], v["patch_size"], proj, v.get("num_channels", 3), v["hidden_size"],
                v["num_attention_heads"], v["num_hidden_layers"], v["intermediate_size"],
                layer_norm_eps=v.get("layer_norm_eps", 1e-5), activation=activation(v, "hidden_act", source),
                patch_bias=False, head_bias=False, embed_norm=True)
    text = TextEncoder(t["vocab_size"], proj, t["hidden_size"], t["num_attention_heads"], t["num_hidden_layers"],
                       t["intermediate_size"], t["max_position_embeddings"], pad_id=t.get("pad_token_id", 1),
                       activation=activation(t, "hidden_act", source), layer_norm_eps=t.get("layer_norm_eps", 1e-5),
                       causal=True, pool="last", proj_bias=False)
    return image, text


def clip_names(num_image_layers: int, num_text_layers: int) -> dict:
    """Our parameter name -> the checkpoint tensor name (both nn.Linear layout)."""
    names = {"image_encoder.embed.cls_token": "vision_model.embeddings.class_embedding",
             "image_encoder.embed.positions": "vision_model.embeddings.position_embedding.weight",
             "image_encoder.head.weight": "visual_projection.weight",
             "text_encoder.embed.weight": "text_model.embeddings.token_embedding.weight",
             "text_encoder.positions": "text_model.embeddings.position_embedding.weight",
             "text_encoder.proj.weight": "text_projection.weight",
             "log_temperature": "logit_scale"}
    for ours, theirs in (("image_encoder.embed_norm", "vision_model.pre_layrnorm"),
                         ("image_encoder.encoder.norm", "vision_model.post_layernorm"),
                         ("text_encoder.encoder.norm", "text_model.final_layer_norm")):
        for p in ("weight", "bias"):
            names[f"{ours}.{p}"] = f"{theirs}.{p}"
    for tower, model, n in (("image_encoder", "vision_model", num_image_layers),
                            ("text_encoder", "text_model", num_text_layers)):
        for i in range(n):
            for ours, theirs in LAYER.items():
                for p in ("weight", "bias"):
                    names[f"{tower}.encoder.layers.{i}.{ours}.{p}"] = f"{model}.encoder.layers.{i}.{theirs}.{p}"
    return names


def load_clip(name_or_path: str = "openai/clip-vit-base-patch32",
              device: Optional[Union[str, torch.device]] = None, download: Optional[bool] = None) -> tuple:
    """A CLIPModel checkpoint -> (utils.CLIP in eval mode, its processor (tokenizer + image processor) or None).
    Raises a CheckpointError naming any missing, mis-shaped or unexpected tensor."""
    folder = checkpoint_folder(name_or_path, download)
    config = read_config(folder)
    source = f"CLIP checkpoint {folder}"
    image, text = clip_towers(config, source)
    model = CLIP(text.embed.num_embeddings, image_encoder=image, text_encoder=text)
    names = clip_names(len(image.encoder.layers), len(text.encoder.layers))
    ours = model.state_dict()
    expected = {theirs: ours[name].shape for name, theirs in names.items()}
    p, c, d = image.embed.patch_size, image.embed.in_channels, image.embed.proj.out_features
    expected["vision_model.embeddings.patch_embedding.weight"] = (d, c, p, p)  # a Conv2d without bias
    tensors = read_weights(folder)
    check_tensors(tensors, expected, source, ignore=("*position_ids",))
    state = {name: tensors[theirs] for name, theirs in names.items()}
    state["image_encoder.embed.proj.weight"] = tensors["vision_model.embeddings.patch_embedding.weight"].reshape(d, -1)
    state["log_temperature"] = -tensors["logit_scale"]  # log(1 / T) -> log(T)
    model.load_state_dict(state, strict=True)
    return model.to(device or "cpu").eval(), load_preprocessor(folder, "processor")
