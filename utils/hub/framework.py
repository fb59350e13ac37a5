"""The hub's framework: named models, their weights files, the cache folder lookup, load_model and train_model.

Hugging Face's ``pipeline("sentiment-analysis")`` downloads a model from the Hub into
``~/.cache/huggingface`` the first time, then reads it from there. The hub plays the same part
without a network: each model has a name, a *recipe* (project code that trains it in seconds on a
CPU) and a cached file of weights.

The course's models and their recipes are registered by utils.hub.recipes.

``load_model(name)`` looks for the weights file, first in the cache directory
(``$TRANSFORMERS_COURSE_CACHE``, else ``~/.cache/transformers-course``, the folder lesson 05 keeps
its tokenizer in), then among the files committed with the course (``utils/assets/``). If neither
has it, it runs the recipe, silently, and caches the result: the first call takes seconds, later
ones a fraction of a second. ``python -m tools.train_heads`` runs every recipe ahead of time.

A file's name holds a hash of its recipe's settings, so changing a setting never picks up stale
weights. Each file is a safetensors file whose metadata carries everything else the model needs
(its configuration, vocabulary or tokenizer, labels, and the score it reached on held-out data).
"""
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..runtime import cache_dir, get_device, preserved_random_state

ASSETS = Path(__file__).resolve().parent.parent / "assets"  # weights committed with the course, if any
FORMAT = 1  # bump when the layout of the files changes: every cached file is then remade


@dataclass
class LoadedModel:
    """What load_model returns: the model (eval mode, on its device), what turns text into its ids,
    and `info`, what its recipe measured (e.g. held-out accuracy) and the settings it used."""

    name: str
    model: nn.Module
    tokenizer: object = None  # a tokenizers.Tokenizer, a utils.tokenization.BPETokenizer or (src_vocab, tgt_vocab)
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    """How the hub makes and rebuilds one model. train(settings, progress, device) -> (tensors,
    metadata); build(settings, tensors, metadata, device) -> (model, tokenizer). No train: nothing
    to cache (the weights ship with a package)."""

    name: str
    description: str
    build: Callable | None
    train: Callable | None = None
    settings: dict = field(default_factory=dict)


MODELS: dict[str, Recipe] = {}  # name -> Recipe; utils.hub.recipes registers the course's models


def register(recipe: Recipe) -> Recipe:
    """Add a recipe to the hub under its name (a later one with the same name replaces it)."""
    MODELS[recipe.name] = recipe
    return recipe


def get_recipe(name: str) -> Recipe:
    """The recipe registered as `name`; a ValueError listing the hub's models if there is none."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; the course's hub has: {', '.join(MODELS)}")
    return MODELS[name]


def weights_filename(name: str) -> str:
    """'course/gpt-pydoc' -> 'course--gpt-pydoc-<hash of the recipe settings>.safetensors'."""
    recipe = get_recipe(name)
    text = json.dumps({"format": FORMAT, "name": name, "settings": recipe.settings}, sort_keys=True)
    return f"{name.replace('/', '--')}-{hashlib.sha256(text.encode()).hexdigest()[:10]}.safetensors"


def weights_path(name: str) -> Path:
    """Where the cache keeps (or would keep) this model's weights."""
    return cache_dir() / weights_filename(name)


def save_weights(path: str | os.PathLike, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> Path:
    """Write a safetensors file atomically: into a temporary file, then renamed, so that a reader
    (another notebook, a test running in parallel) never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        pass
    try:
        save_file(tensors, tmp.name, metadata=metadata)
        os.replace(tmp.name, path)
    finally:
        if os.path.exists(tmp.name):
            os.remove(tmp.name)
    return path


def read_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """-> (tensors, metadata) of a safetensors file."""
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
    return load_file(str(path)), metadata


def train_model(name: str, progress: bool = True, device: str | torch.device | None = None,
                folder: str | os.PathLike | None = None) -> Path:
    """Run the recipe of `name` now and save its weights in `folder` (default: the cache).
    Returns the path written."""
    recipe = get_recipe(name)
    if recipe.train is None:
        raise ValueError(f"{name} is not trained by the course (it ships ready-made), so there is nothing to train")
    tensors, metadata = recipe.train(recipe.settings, progress=progress, device=device)
    metadata = {**metadata, "name": name, "settings": json.dumps(recipe.settings)}
    folder = cache_dir() if folder is None else Path(folder)
    return save_weights(folder / weights_filename(name), tensors, metadata)


def candidate_paths(name: str) -> list[Path]:
    """Where the weights of `name` may be, in the order they are tried: the cache, then utils/assets."""
    return [Path(folder) / weights_filename(name) for folder in (cache_dir(), ASSETS)]


def load_model(name: str, device: str | torch.device | None = None, train_if_missing: bool = True) -> LoadedModel:
    """The model called `name`, in eval mode on `device` (None: utils.get_device()), as a LoadedModel.

    Reads its cached or committed weights; if there are none (or they no longer fit the code),
    trains it with its recipe and caches the result. Nothing is downloaded, nothing is printed, and
    the caller's random generators are left as they were.
    """
    with preserved_random_state():
        return _load_model(name, device, train_if_missing)


def _load_model(name, device, train_if_missing):
    recipe = get_recipe(name)
    device = get_device() if device is None else torch.device(device)
    if recipe.train is None:
        model, tokenizer = recipe.build(recipe.settings, None, {}, device)
        return LoadedModel(name, model.eval(), tokenizer, {})
    for path in candidate_paths(name):
        if not path.is_file():
            continue
        try:
            tensors, metadata = read_weights(path)
            model, tokenizer = recipe.build(recipe.settings, tensors, metadata, device)
        except Exception:  # a truncated file, or code that changed since it was made: try the next one
            continue
        return LoadedModel(name, model.eval(), tokenizer, json.loads(metadata.get("info", "{}")))
    if not train_if_missing:
        raise FileNotFoundError(f"no usable weights for {name} in {cache_dir()} or {ASSETS}; "
                                "make them with `python -m tools.train_heads`")
    tensors, metadata = recipe.train(recipe.settings, progress=False, device=device)
    metadata = {**metadata, "name": name, "settings": json.dumps(recipe.settings)}
    try:
        save_weights(weights_path(name), tensors, metadata)
    except OSError as err:  # a read-only home: work without the cache
        warnings.warn(f"could not cache {name} in {cache_dir()}: {err}")
    model, tokenizer = recipe.build(recipe.settings, tensors, metadata, device)
    return LoadedModel(name, model.eval(), tokenizer, json.loads(metadata.get("info", "{}")))
