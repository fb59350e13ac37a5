"""OpenAI's Whisper checkpoints (openai/whisper-tiny, ...) in the course's utils.SpeechToText.

OpenAI's Whisper (openai/whisper-tiny, ...) in the course's utils.SpeechToText: a log-mel spectrogram
in, text tokens out.

Lesson 07's mini Whisper already has Whisper's shape: two 1-D convolutions (the second halves the frame
rate), sinusoidal positions, a pre-norm encoder; a pre-norm decoder with learned positions,
cross-attention and an output layer tied to its token embedding. What differs:
- the real one reads its log-mels as they are (standardize=False) and its 3000 frames become 1500
  positions, whose sinusoid table (a slightly different formula) is read from the checkpoint;
- its key projections have no bias. A bias on the keys adds the same number to every score of a query,
  which the softmax cancels, so a zero bias is exactly the same model.

    model, processor = load_whisper("openai/whisper-tiny")
    mels = processor(audio, sampling_rate=16000, return_tensors="pt").input_features.transpose(1, 2)
    ids = model.generate(mels, **model.generation)
    processor.batch_decode(ids, skip_special_tokens=True)
"""
import json
from pathlib import Path
from typing import Optional, Union

import torch

from ..whisper import SpeechToText
from .files import activation, check_tensors, checkpoint_folder, load_preprocessor, read_config, read_weights

LAYER = {"norm1": "self_attn_layer_norm", "feed_forward.linear1": "fc1", "feed_forward.linear2": "fc2",
         **{f"self_attn.{p}": f"self_attn.{p}" for p in ("q_proj", "k_proj", "v_proj", "out_proj")}}
ENCODER_LAYER = {**LAYER, "norm2": "final_layer_norm"}
DECODER_LAYER = {**LAYER, "norm2": "encoder_attn_layer_norm", "norm3": "final_layer_norm",
                 **{f"cross_attn.{p}": f"encoder_attn.{p}" for p in ("q_proj", "k_proj", "v_proj", "out_proj")}}
NO_BIAS = ("self_attn.k_proj.bias", "cross_attn.k_proj.bias")  # Whisper's keys have none: we use zeros


def whisper_sizes(config: dict, source: str) -> dict:
    """WhisperConfig (a dict) -> the keyword arguments of utils.SpeechToText."""
    for a, b in (("encoder_layers", "decoder_layers"), ("encoder_ffn_dim", "decoder_ffn_dim"),
                 ("encoder_attention_heads", "decoder_attention_heads")):
        if config[a] != config[b]:
            raise ValueError(f"{source}: {a}={config[a]} differs from {b}={config[b]}; utils.SpeechToText gives "
                             "its encoder and decoder the same sizes")
    activation(config, "activation_function", source)  # only GELU is wired into the convolutions and layers
    if config.get("activation_function") != "gelu" or config.get("scale_embedding", False):
        raise ValueError(f"{source}: only activation_function='gelu' and scale_embedding=False are supported")
    return dict(n_mels=config["num_mel_bins"], vocab_size=config["vocab_size"], d_model=config["d_model"],
                num_heads=config["encoder_attention_heads"], num_layers=config["encoder_layers"],
                d_ff=config["encoder_ffn_dim"], max_text_len=config["max_target_positions"],
                pad_id=config["pad_token_id"], max_frames=config["max_source_positions"], standardize=False)


def whisper_names(num_layers: int) -> dict:
    """Our parameter name -> the checkpoint tensor name (nn.Linear / nn.Conv1d layouts on both sides)."""
    names = {"audio_encoder.encoder.norm.weight": "model.encoder.layer_norm.weight",
             "audio_encoder.encoder.norm.bias": "model.encoder.layer_norm.bias",
             "decoder.norm.weight": "model.decoder.layer_norm.weight",
             "decoder.norm.bias": "model.decoder.layer_norm.bias",
             "embed.weight": "model.decoder.embed_tokens.weight",
             "positions": "model.decoder.embed_positions.weight"}
    for conv in ("conv1", "conv2"):
        for p in ("weight", "bias"):
            names[f"audio_encoder.{conv}.{p}"] = f"model.encoder.{conv}.{p}"
    for ours_side, side, per_layer in (("audio_encoder.encoder", "encoder", ENCODER_LAYER),
                                       ("decoder", "decoder", DECODER_LAYER)):
        for i in range(num_layers):
            for ours, theirs in per_layer.items():
                for p in ("weight", "bias"):
                    if f"{ours}.{p}" not in NO_BIAS:
                        names[f"{ours_side}.layers.{i}.{ours}.{p}"] = f"model.{side}.layers.{i}.{theirs}.{p}"
    return names


def whisper_generation(folder: Union[str, Path], config: dict, language: str = "en") -> dict:
    """The generate() arguments of a checkpoint: greedy transcription without timestamps, in `language` for a
    multilingual checkpoint: the start tokens <|startoftranscript|> <|en|> <|transcribe|> <|notimestamps|>,
    the end token, and the tokens never to write (at all, and as the first one)."""
    settings = {**config}
    path = folder / "generation_config.json"
    if path.is_file():
        settings.update(json.loads(path.read_text()))
    prefix = [settings["decoder_start_token_id"]]
    if settings.get("is_multilingual") and settings.get("lang_to_id"):
        prefix.append(settings["lang_to_id"][f"<|{language}|>"])
    if settings.get("task_to_id"):
        prefix.append(settings["task_to_id"]["transcribe"])
    if settings.get("no_timestamps_token_id") is not None:
        prefix.append(settings["no_timestamps_token_id"])
    max_length = min(settings.get("max_length") or 448, config["max_target_positions"])

    def token_ids(key):  # WhisperConfig's defaults name ids of the real vocabulary: drop those a small one lacks
        return [i for i in settings.get(key) or [] if i < config["vocab_size"]]

    return dict(prefix=prefix, eos_id=settings["eos_token_id"], max_new_tokens=max_length - len(prefix),
                suppress_ids=token_ids("suppress_tokens"), begin_suppress_ids=token_ids("begin_suppress_tokens"))


def load_whisper(name_or_path: str = "openai/whisper-tiny", device: Optional[Union[str, torch.device]] = None,
                 download: Optional[bool] = None) -> tuple:
    """A WhisperForConditionalGeneration checkpoint -> (utils.SpeechToText in eval mode, its processor or None).

    model.generation holds generate()'s keyword arguments from the checkpoint's generation config
    (prefix as a list of ids: turn it into a (B, P) tensor). Raises a CheckpointError naming any
    missing, mis-shaped or unexpected tensor.
    """
    folder = checkpoint_folder(name_or_path, download)
    config = read_config(folder)
    source = f"Whisper checkpoint {folder}"
    model = SpeechToText(**whisper_sizes(config, source))
    names = whisper_names(config["encoder_layers"])
    ours = model.state_dict()
    expected = {theirs: ours[name].shape for name, theirs in names.items()}
    expected["model.encoder.embed_positions.weight"] = model.audio_encoder.positions.shape  # a buffer here
    tensors = read_weights(folder)
    check_tensors(tensors, expected, source, ignore=("proj_out.weight",))  # proj_out is the tied embedding
    state = {name: tensors[theirs] for name, theirs in names.items()}
    for name in ours:
        if name.endswith(NO_BIAS):
            state[name] = torch.zeros_like(ours[name])
    model.load_state_dict(state, strict=True)
    model.audio_encoder.positions.copy_(tensors["model.encoder.embed_positions.weight"])
    model.generation = whisper_generation(folder, config)
    return model.to(device or "cpu").eval(), load_preprocessor(folder, "processor")
