"""Finding, reading and checking a Hugging Face checkpoint: config, weights, preprocessors.

Finding a Hugging Face checkpoint (a local folder or the Hugging Face cache), reading its config and
weights, and checking every tensor's name and shape before a course model is built from it.

A checkpoint in the standard layout is a folder holding config.json and the weights, in
model.safetensors (or shards listed in model.safetensors.index.json) or the older pytorch_model.bin.
The loaders in this package read such a folder with the functions here, and only then pour the
tensors into the course's own modules: nothing here runs a `transformers` model.
"""
import json
import os
from collections.abc import Mapping, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Optional, Union

import torch
from safetensors.torch import load_file

# The files a loader may need; a download fetches only these (not TensorFlow, Flax or Rust weights), and
# pytorch_model.bin only for a checkpoint that has no safetensors (many opus-mt models).
CHECKPOINT_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.spm", "vocab*", "merges*"]

# Hugging Face's activation names -> utils.layers.ACTIVATIONS
ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "quick_gelu": "quick_gelu",
               "relu": "relu", "silu": "silu", "swish": "silu"}


class CheckpointError(ValueError):
    """A checkpoint that the course's models cannot run: a missing or mis-shaped tensor, an unsupported option."""


def offline() -> bool:
    """True when Hugging Face is told not to use the network (HF_HUB_OFFLINE=1), as in the tests."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def checkpoint_folder(name_or_path: Union[str, os.PathLike], download: Optional[bool] = None) -> Path:
    """A local folder, or a Hugging Face model name ("gpt2", "Helsinki-NLP/opus-mt-en-fr") -> the folder
    that holds its files.

    A name is looked up in the Hugging Face cache (~/.cache/huggingface/hub, or $HF_HOME); if it is not
    there and download is True (default: unless HF_HUB_OFFLINE=1), it is downloaded into that cache.
    Raises FileNotFoundError, saying which, when the checkpoint is neither here nor downloadable.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} holds no config.json: it is not a Hugging Face checkpoint folder")
        return path
    name = str(name_or_path)
    try:
        from huggingface_hub import snapshot_download, try_to_load_from_cache
    except ImportError as err:
        raise FileNotFoundError(f"{name!r} is not a folder, and huggingface_hub (needed to find a named "
                                "checkpoint) is not installed") from err
    cached = try_to_load_from_cache(name, "config.json")
    if isinstance(cached, str):
        return Path(cached).parent  # the snapshot folder: every cached file of that revision
    if download is None:
        download = not offline()
    if not download:
        raise FileNotFoundError(f"checkpoint {name!r} is not a local folder and not in the Hugging Face cache, "
                                "and downloading is off (HF_HUB_OFFLINE=1 or download=False)")
    try:
        folder = Path(snapshot_download(name, allow_patterns=CHECKPOINT_FILES))
        if not any(folder.glob("*.safetensors")):
            folder = Path(snapshot_download(name, allow_patterns=CHECKPOINT_FILES + ["pytorch_model.bin"]))
        return folder
    except Exception as err:  # no network, unknown name, gated model: say so in one line
        raise FileNotFoundError(f"could not download checkpoint {name!r}: {type(err).__name__}: {err}") from err


def read_config(folder: Union[str, os.PathLike]) -> dict[str, Any]:
    """config.json of a checkpoint folder -> dict."""
    return json.loads((Path(folder) / "config.json").read_text())


def read_weights(folder: Union[str, os.PathLike]) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint folder -> {name: tensor} on the CPU.

    Prefers safetensors (a plain tensor file; no code runs when reading it), sharded or not, then
    pytorch_model.bin, read with weights_only=True so that a pickle cannot run code either.
    """
    folder = Path(folder)
    if (folder / "model.safetensors").is_file():
        return load_file(str(folder / "model.safetensors"))
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        tensors = {}
        for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
            tensors.update(load_file(str(folder / shard)))
        return tensors
    if (folder / "pytorch_model.bin").is_file():
        return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"{folder} holds no model.safetensors, model.safetensors.index.json or pytorch_model.bin")


def drop_prefix(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Remove `prefix` from every name that has it: a checkpoint saved from a model with a head
    ("transformer.h.0...", "distilbert.embeddings...") then reads like the bare model's."""
    return {name[len(prefix):] if name.startswith(prefix) else name: t for name, t in tensors.items()}


def check_tensors(tensors: Mapping[str, torch.Tensor], expected: Mapping[str, Sequence[int]], source: str,
                  ignore: Sequence[str] = ()) -> None:
    """Raise a CheckpointError naming every tensor of `expected` ({name: shape}) that `tensors` lacks
    or holds with another shape, and every tensor it holds that nothing expects (unless it matches one
    of the glob patterns in `ignore`). A silent partial load gives a model that runs and says nonsense.
    """
    missing = [name for name in expected if name not in tensors]
    wrong_shape = [f"{name}: expected {tuple(shape)}, got {tuple(tensors[name].shape)}"
                   for name, shape in expected.items()
                   if name in tensors and tuple(tensors[name].shape) != tuple(shape)]
    unexpected = [name for name in tensors
                  if name not in expected and not any(fnmatch(name, pattern) for pattern in ignore)]
    problems = []
    if missing:
        problems.append("missing tensors: " + ", ".join(missing))
    if wrong_shape:
        problems.append("tensors with an unexpected shape: " + "; ".join(wrong_shape))
    if unexpected:
        problems.append("unexpected tensors: " + ", ".join(sorted(unexpected)))
    if problems:
        raise CheckpointError(f"cannot load {source}: " + " | ".join(problems))


def activation(config: Mapping[str, Any], key: str, source: str) -> str:
    """The utils.layers activation name for Hugging Face's config[key] (e.g. "gelu_new" -> "gelu_tanh")."""
    name = config.get(key)
    if name not in ACTIVATIONS:
        raise CheckpointError(f"{source}: activation {name!r} ({key}) is not supported; "
                              f"supported: {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[name]


def require(config: Mapping[str, Any], source: str, **expected: Any) -> None:
    """Raise a CheckpointError unless config[key] == value for every key (a missing key counts as the value)."""
    for key, value in expected.items():
        if config.get(key, value) != value:
            raise CheckpointError(f"{source}: {key}={config[key]!r} is not supported "
                                  f"(the course's model needs {value!r})")


# The files that say a checkpoint folder holds each kind of preprocessing.
PREPROCESSOR_FILES = {"tokenizer": ("tokenizer.json", "tokenizer_config.json", "vocab.json", "vocab.txt", "*.spm"),
                      "image": ("preprocessor_config.json",), "audio": ("preprocessor_config.json",),
                      "processor": ("processor_config.json", "preprocessor_config.json", "tokenizer_config.json")}


def load_preprocessor(folder: Union[str, os.PathLike], kind: str = "tokenizer") -> Any:
    """The checkpoint's own preprocessing, via `transformers` (never its models): kind "tokenizer",
    "image" (image processor), "audio" (feature extractor) or "processor" (all of a model's together).
    None if the folder holds no such files (a checkpoint may hold weights only)."""
    import transformers

    if not any(any(Path(folder).glob(pattern)) for pattern in PREPROCESSOR_FILES[kind]):
        return None
    auto = {"tokenizer": transformers.AutoTokenizer, "image": transformers.AutoImageProcessor,
            "audio": transformers.AutoFeatureExtractor, "processor": transformers.AutoProcessor}[kind]
    return auto.from_pretrained(str(folder))
