"""The course's French -> English translator: one recipe that trains in well under a minute on a CPU."""
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import torch
import torch.nn as nn

from .data.french import make_translation_corpus, translation_batches
from .losses import seq2seq_loss
from .tokenization import Vocab
from .decoding import translate
from .runtime import seed_everything
from .transformer import Transformer
from .training import History, train


@dataclass
class Translator:
    """What train_translator returns: the model, its vocabularies, its data and its training history."""

    model: Transformer
    src_vocab: Vocab
    tgt_vocab: Vocab
    train_pairs: list
    test_pairs: list
    history: History = None  # None when the weights were loaded, not trained here

    def __call__(self, sentence, method="greedy", **kwargs):
        """French -> English, see utils.translate."""
        return translate(self.model, sentence, self.src_vocab, self.tgt_vocab, method, **kwargs)


def exact_match(model: nn.Module, pairs: Sequence, src_vocab: Vocab, tgt_vocab: Vocab, method: str = "greedy",
                batch_size: int = 256, **kwargs: Any) -> float:
    """Fraction of pairs whose whole translation equals the reference English sentence."""
    correct = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start: start + batch_size]
        outputs = translate(model, [fr for fr, _ in chunk], src_vocab, tgt_vocab, method, **kwargs)
        correct += sum(out == en for out, (_, en) in zip(outputs, chunk))
    return correct / len(pairs)


def train_translator(seed: int = 0, steps: int = 300, n_train: int = 10_000, n_test: int = 500, batch_size: int = 64,
                     lr: float = 5e-3, d_model: int = 64, num_heads: int = 4, num_layers: int = 2, d_ff: int = 128,
                     device: Optional[Union[str, torch.device]] = None, progress: bool = True,
                     eval_fn: Optional[Callable[[nn.Module], object]] = None, eval_every: Optional[int] = None,
                     model_class: type = Transformer) -> Translator:
    """Generate the corpus, build the vocabularies and train a small Transformer on it.

    The defaults (2+2 layers, d_model 64, 4 heads, d_ff 128, no dropout; 300 AdamW steps of 64
    sentences, peak learning rate 5e-3) reach >= 99% exact match on the 500 held-out sentences,
    greedy or beam search, in 5 to 15 s on a 2-core laptop CPU. The same seed gives the same model.
    eval_fn(model) is called every eval_every steps (see utils.train); model_class may be any
    subclass of Transformer with the same constructor, e.g. a variant with another decoder mask.
    """
    if not (isinstance(model_class, type) and issubclass(model_class, Transformer)):
        raise ValueError(f"model_class must be utils.Transformer or a subclass of it, got {model_class!r}")
    seed_everything(seed)
    train_pairs, test_pairs = make_translation_corpus(n_train, n_test, seed=seed)
    src_vocab = Vocab(fr for fr, _ in train_pairs)
    tgt_vocab = Vocab(en for _, en in train_pairs)
    model = model_class(len(src_vocab), len(tgt_vocab), d_model=d_model, num_heads=num_heads,
                        num_layers=num_layers, d_ff=d_ff, dropout=0.0, max_len=64).to(device)
    batches = translation_batches(train_pairs, src_vocab, tgt_vocab, batch_size, seed=seed, device=device)
    history = train(model, batches, seq2seq_loss, steps=steps, lr=lr, progress=progress, desc="translator",
                    eval_fn=eval_fn, eval_every=eval_every)
    return Translator(model, src_vocab, tgt_vocab, train_pairs, test_pairs, history)


def load_translator(device: Optional[Union[str, torch.device]] = None) -> Translator:
    """A translator trained by train_translator() with its defaults, from the weights that ship with the
    course (utils/assets, made by tools/train_heads.py), so a later lesson need not train it again.

    Trains and caches it only if no usable weights are found. The data and vocabularies are rebuilt
    from the same seed, so `test_pairs` are the held-out sentences the shipped model never saw.
    """
    from .hub import TRANSLATOR, load_model  # hub builds its own recipes from this module

    loaded = load_model("course/transformer-fr-en", device=device)
    src_vocab, tgt_vocab = loaded.tokenizer
    train_pairs, test_pairs = make_translation_corpus(TRANSLATOR["n_train"], TRANSLATOR["n_test"],
                                                      seed=TRANSLATOR["seed"])
    if Vocab(fr for fr, _ in train_pairs).itos != src_vocab.itos:
        raise RuntimeError("the shipped translator's vocabulary no longer matches utils.data's corpus; "
                           "rebuild the weights with `python -m tools.train_heads`")
    return Translator(loaded.model, src_vocab, tgt_vocab, train_pairs, test_pairs)
