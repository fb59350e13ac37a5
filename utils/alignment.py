"""Where the decoder looks: attention weights of a trained utils.Transformer, read as word alignments.

Each decoder layer's cross-attention lets every target position (a query) read the encoder's
output for the source sentence (the keys and values). Its weights form a (target x source) table:
row t says which source words the decoder consulted while it produced target word t. In a trained
translator these rows pick out the word being translated: the row of "dog" peaks on "chien".

The model's forward pass does not return attention weights, so they are caught on the way by
forward hooks (utils.attention.capture_attention); the model itself is not changed.
"""
from typing import Iterable, Optional, Sequence, Union

import torch
import torch.nn as nn

from .attention import capture_attention
from .runtime import eval_mode
from .tokenization import Vocab, tokenize
from .decoding import translate

ATTENTIONS = ("cross_attn", "self_attn")


@torch.no_grad()
def decoder_attention_weights(model: nn.Module, src: torch.Tensor, tgt_in: torch.Tensor,
                              which: str = "cross_attn") -> torch.Tensor:
    """Attention weights of every decoder layer when the model reads src and tgt_in (teacher forcing).

    src (B, Ls), tgt_in (B, Lt) token ids, tgt_in starting with BOS.
    which="cross_attn" -> (num_layers, B, num_heads, Lt, Ls): decoder position t reading the source;
    which="self_attn"  -> (num_layers, B, num_heads, Lt, Lt): decoder position t reading the target.
    Row t belongs to the query at position t, the one that predicts target token t + 1.
    Masked positions (padding, the future) get weight 0; every other row sums to 1.
    """
    if which not in ATTENTIONS:
        raise ValueError(f"which must be one of {ATTENTIONS}, got {which!r}")
    if not hasattr(model, "decoder") or not hasattr(model.decoder, "layers"):
        raise ValueError(f"expected an encoder-decoder utils.Transformer, got {type(model).__name__}")
    for name, t in (("src", src), ("tgt_in", tgt_in)):
        if t.dim() != 2:
            raise ValueError(f"{name} must be token ids of shape (B, L), got {tuple(t.shape)}")
    with eval_mode(model):  # no dropout in the weights we look at
        with capture_attention(model.decoder.layers, which) as captured:
            model(src, tgt_in)
    return torch.stack(captured)


def cross_attention_weights(model: nn.Module, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
    """decoder_attention_weights(model, src, tgt_in, "cross_attn"): (num_layers, B, H, Lt, Ls)."""
    return decoder_attention_weights(model, src, tgt_in, "cross_attn")


def _layer_indices(layers, num_layers):
    layers = [layers] if isinstance(layers, int) else list(layers)
    if not layers or any(not isinstance(i, int) or not -num_layers <= i < num_layers for i in layers):
        raise ValueError(f"layers must be indices of the {num_layers} decoder layers, got {layers}")
    return layers


@torch.no_grad()
def alignment(model: nn.Module, french: str, src_vocab: Vocab, tgt_vocab: Vocab, english: Optional[str] = None,
              layers: Union[int, Iterable[int]] = -1, method: str = "greedy") -> tuple:
    """The cross-attention alignment of one sentence pair -> (weights (Le + 1, Lf), english words, french words).

    english  the target sentence; None translates `french` with the model first (greedy or beam).
    Row i is the cross-attention of the step that produced English word i (the last row is the
    step that produced <eos>), averaged over the heads and over `layers` (an index or a list of
    them; the default -1 is the last decoder layer, the one that aligns words in the course's
    translator). Each row sums to 1 over the French words.
    """
    if not isinstance(french, str) or not src_vocab.encode(french):
        raise ValueError(f"french must be a non-empty sentence (a string), got {french!r}")
    if english is None:
        english = translate(model, french, src_vocab, tgt_vocab, method=method)
    device = next(model.parameters()).device
    src = torch.tensor([src_vocab.encode(french)], device=device)  # (1, Lf)
    target = [tgt_vocab.bos_id] + tgt_vocab.encode(english) + [tgt_vocab.eos_id]
    tgt_in = torch.tensor([target[:-1]], device=device)  # (1, Le + 1): <bos> english
    weights = cross_attention_weights(model, src, tgt_in)[:, 0]  # (layers, H, Le + 1, Lf)
    weights = weights[_layer_indices(layers, len(weights))]
    table = weights.mean(dim=(0, 1)).cpu()  # (Le + 1, Lf)
    english_words = [tgt_vocab.itos[i] for i in target[1:]]  # what each row predicted, <eos> last
    french_words = [src_vocab.itos[i] for i in src[0].tolist()]
    return table, english_words, french_words


def aligned_words(weights: torch.Tensor, english_words: Sequence[str], french_words: Sequence[str]) -> list:
    """For each English word, the French word its row attends to most: [(english, french), ...]."""
    if tuple(weights.shape) != (len(english_words), len(french_words)):
        raise ValueError(f"weights must be ({len(english_words)}, {len(french_words)}) for these words, "
                         f"got {tuple(weights.shape)}")
    return [(e, french_words[int(row.argmax())]) for e, row in zip(english_words, weights)]


@torch.no_grad()
def alignment_accuracy(model: nn.Module, pairs: Sequence, src_vocab: Vocab, tgt_vocab: Vocab, lexicon: dict,
                       layers: Union[int, Iterable[int]] = -1, batch_size: int = 256) -> float:
    """Fraction of English words (of the reference translations) whose strongest cross-attention
    falls on a French word that translates them.

    lexicon  {english word: set of French words}, e.g. utils.data.word_translations();
             English words missing from it are not counted.
    """
    device = next(model.parameters()).device
    hits = total = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start: start + batch_size]
        src_ids = [src_vocab.encode(fr) for fr, _ in chunk]
        tgt_ids = [[tgt_vocab.bos_id] + tgt_vocab.encode(en) for _, en in chunk]
        src = torch.full((len(chunk), max(map(len, src_ids))), src_vocab.pad_id, dtype=torch.long)
        tgt_in = torch.full((len(chunk), max(map(len, tgt_ids))), tgt_vocab.pad_id, dtype=torch.long)
        for row, (s, t) in enumerate(zip(src_ids, tgt_ids)):
            src[row, : len(s)], tgt_in[row, : len(t)] = torch.tensor(s), torch.tensor(t)
        weights = cross_attention_weights(model, src.to(device), tgt_in.to(device))
        weights = weights[_layer_indices(layers, len(weights))].mean(dim=(0, 2))  # (B, Lt, Ls)
        strongest = weights.argmax(dim=-1).cpu()  # (B, Lt): row t predicted English word t
        for row, (fr, en) in enumerate(chunk):
            french = tokenize(fr)
            for t, word in enumerate(tokenize(en)):
                if word in lexicon:
                    total += 1
                    hits += french[int(strongest[row, t])] in lexicon[word]
    if total == 0:
        raise ValueError("no English word of these pairs is in the lexicon")
    return hits / total
