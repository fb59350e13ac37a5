"""MarianMT checkpoints (Helsinki-NLP/opus-mt-*, over a thousand language pairs) in utils.Transformer.

MarianMT (Helsinki-NLP/opus-mt-en-fr, opus-mt-fr-en, ... over a thousand language pairs) in the
course's utils.Transformer: the encoder-decoder of "Attention Is All You Need", nearly as published.

What differs from lesson 04's translator, each a named option of utils.Transformer:
- activation="silu" (Marian calls it swish) in the feed-forward layers instead of ReLU;
- positional_layout="halves": the same sinusoids, but all sines in the first half of each vector and
  all cosines in the second half;
- one embedding matrix shared by the source, the target and the output layer, plus a bias on the
  output logits (final_logits_bias, the generator's bias here);
- decoding starts from the pad token (decoder_start_token_id) and never writes it (bad_words_ids).

    model, tokenizer = load_marian("Helsinki-NLP/opus-mt-en-fr")
    src = tokenizer(["Machine learning is fascinating!"], return_tensors="pt")
    ids = model.greedy_decode(src.input_ids, **model.generation)
    tokenizer.batch_decode(ids, skip_special_tokens=True)
"""
import json
from pathlib import Path
from typing import Optional, Union

import torch

from ..transformer import Transformer
from .files import activation, check_tensors, checkpoint_folder, load_preprocessor, read_config, read_weights, \
    require

ENCODER_LAYER = {"self_attn.q_proj": "self_attn.q_proj", "self_attn.k_proj": "self_attn.k_proj",
                 "self_attn.v_proj": "self_attn.v_proj", "self_attn.out_proj": "self_attn.out_proj",
                 "norm1": "self_attn_layer_norm", "feed_forward.linear1": "fc1", "feed_forward.linear2": "fc2",
                 "norm2": "final_layer_norm"}
DECODER_LAYER = {**ENCODER_LAYER, "norm2": "encoder_attn_layer_norm", "norm3": "final_layer_norm",
                 **{f"cross_attn.{p}": f"encoder_attn.{p}" for p in ("q_proj", "k_proj", "v_proj", "out_proj")}}
# The sinusoid tables are rebuilt from the formula; lm_head and the per-side embeddings are the shared matrix.
IGNORED = ("model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight", "lm_head.weight",
           "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight")


def marian_sizes(config: dict) -> dict:
    """Hugging Face's MarianConfig (a dict) -> the keyword arguments of utils.Transformer."""
    source = "Marian config"
    require(config, source, normalize_before=False, add_final_layer_norm=False, normalize_embedding=False,
            share_encoder_decoder_embeddings=True, static_position_embeddings=True)
    for a, b in (("encoder_layers", "decoder_layers"), ("encoder_ffn_dim", "decoder_ffn_dim"),
                 ("encoder_attention_heads", "decoder_attention_heads")):
        if config[a] != config[b]:
            raise ValueError(f"{source}: {a}={config[a]} differs from {b}={config[b]}; utils.Transformer "
                             "gives its encoder and decoder the same sizes")
    vocab = config["vocab_size"]
    return dict(src_vocab_size=vocab, tgt_vocab_size=vocab, d_model=config["d_model"],
                num_heads=config["encoder_attention_heads"], num_layers=config["encoder_layers"],
                d_ff=config["encoder_ffn_dim"], dropout=0.0, max_len=config["max_position_embeddings"],
                pad_id=config["pad_token_id"], activation=activation(config, "activation_function", source),
                positional_layout="halves", scale_embedding=config.get("scale_embedding", False))


def marian_names(num_layers: int) -> dict:
    """Our parameter name -> the checkpoint tensor name (both nn.Linear layout: copied as they are)."""
    names = {"src_embed.embedding.weight": "model.shared.weight", "tgt_embed.embedding.weight": "model.shared.weight",
             "generator.weight": "model.shared.weight", "generator.bias": "final_logits_bias"}
    for side, per_layer in (("encoder", ENCODER_LAYER), ("decoder", DECODER_LAYER)):
        for i in range(num_layers):
            for ours, theirs in per_layer.items():
                for p in ("weight", "bias"):
                    names[f"{side}.layers.{i}.{ours}.{p}"] = f"model.{side}.layers.{i}.{theirs}.{p}"
    return names


def marian_generation(folder: Union[str, Path], config: dict) -> dict:
    """The greedy_decode arguments of a checkpoint: its start and end tokens, the tokens it never writes."""
    settings = {**config}
    path = folder / "generation_config.json"
    if path.is_file():
        settings.update(json.loads(path.read_text()))
    banned = [ids[0] for ids in settings.get("bad_words_ids") or [] if len(ids) == 1]
    # transformers' max_length counts the start token (and defaults to 20); greedy_decode's max_len does not.
    # Either way the target cannot outgrow the position table.
    max_length = min(settings.get("max_length") or 20, config["max_position_embeddings"])
    return dict(bos_id=settings.get("decoder_start_token_id", config["pad_token_id"]),
                eos_id=settings["eos_token_id"], max_len=max_length - 1, suppress_ids=banned)


def load_marian(name_or_path: str = "Helsinki-NLP/opus-mt-en-fr",
                device: Optional[Union[str, torch.device]] = None, download: Optional[bool] = None) -> tuple:
    """A MarianMT checkpoint -> (utils.Transformer in eval mode, its tokenizer or None).

    model.generation holds the keyword arguments of model.greedy_decode(src, **model.generation):
    bos_id, eos_id, max_len and suppress_ids, from the checkpoint's generation config.
    Raises a CheckpointError naming any missing, mis-shaped or unexpected tensor.
    """
    folder = checkpoint_folder(name_or_path, download)
    config = read_config(folder)
    model = Transformer(**marian_sizes(config))
    names = marian_names(config["encoder_layers"])
    ours = model.state_dict()
    expected = {theirs: ours[name].shape for name, theirs in names.items()}
    expected["final_logits_bias"] = (1, config["vocab_size"])  # a (1, V) buffer in transformers
    tensors = read_weights(folder)
    check_tensors(tensors, expected, f"Marian checkpoint {folder}", ignore=IGNORED)
    state = {name: tensors[theirs] for name, theirs in names.items()}
    state["generator.bias"] = tensors["final_logits_bias"][0]
    model.load_state_dict(state, strict=True)
    # One matrix reads source words, reads target words and scores the next word: tie them, as trained.
    model.tgt_embed.embedding.weight = model.src_embed.embedding.weight
    model.generator.weight = model.src_embed.embedding.weight
    model.generation = marian_generation(folder, config)
    return model.to(device or "cpu").eval(), load_preprocessor(folder)
