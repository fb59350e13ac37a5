"""Losses: the training objectives of the course's models (next token, masked tokens, seq2seq) and LM metrics.

Each loss has the signature utils.train expects, loss(model, batch) -> a scalar tensor:
    lm_loss        decoder-only LMs: every next token;       batch = (x, y) from utils.get_batch
    mlm_loss       encoder-only LMs: the masked tokens only; batch = (inputs, labels) from utils.mask_tokens
    seq2seq_loss   encoder-decoder translators (teacher forcing); batch = (src, tgt) from utils.translation_batches
and evaluate_lm, unigram_cross_entropy and perplexity measure a language model in nats per token.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .batching import IGNORE_INDEX, _check_data, blocks_at
from .runtime import eval_mode
from .tokenization import Vocab


def lm_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy of predicting every next token: model(x) (B, T, V) against y (B, T)."""
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))


@torch.no_grad()
def evaluate_lm(model: nn.Module, data: torch.Tensor, block_size: int, batch_size: int = 64,
                max_blocks: int | None = None) -> float:
    """Mean next-token cross-entropy (nats per token) over consecutive, non-overlapping blocks of
    `data`: a fixed set of blocks, so two calls on the same model give the same number."""
    _check_data(data, block_size)
    starts = torch.arange(0, len(data) - block_size, block_size)
    if max_blocks is not None:
        starts = starts[:max_blocks]
    device = next(model.parameters()).device
    total, count = 0.0, 0
    with eval_mode(model):
        for chunk in starts.split(batch_size):
            x, y = blocks_at(data, chunk, block_size)
            logits = model(x.to(device))
            total += F.cross_entropy(logits.flatten(0, 1), y.to(device).flatten(), reduction="sum").item()
            count += y.numel()
    return total / count


def unigram_cross_entropy(train_ids: torch.Tensor, eval_ids: torch.Tensor, vocab_size: int,
                          smoothing: float = 1.0) -> float:
    """Nats per token of the best model that ignores context: it predicts every token with its
    frequency in `train_ids` (add-`smoothing` so that unseen tokens are not infinitely surprising).

    A language model that cannot beat this number has learned nothing about word order.
    """
    counts = torch.bincount(train_ids, minlength=vocab_size).double() + smoothing
    log_probs = counts.log() - counts.sum().log()
    return -log_probs[eval_ids].mean().item()


def mlm_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy at the chosen positions only (labels == IGNORE_INDEX elsewhere).

    A model with `hidden` and `lm_head` (utils.MaskedLM) gets its output layer applied to the chosen
    positions alone, as BERT implementations do: the other positions' logits would be thrown away,
    and with a large vocabulary they are a good part of the work.
    """
    inputs, labels = batch
    if hasattr(model, "hidden") and hasattr(model, "lm_head"):
        chosen = labels != IGNORE_INDEX  # (B, T)
        logits = model.lm_head(model.hidden(inputs)[chosen])  # (n_chosen, V)
        return F.cross_entropy(logits, labels[chosen])
    logits = model(inputs)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def perplexity(nats: float) -> float:
    """exp(cross-entropy): the number of equally likely tokens the model is as unsure as."""
    return math.exp(nats)


def seq2seq_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], label_smoothing: float = 0.0,
                 pad_id: int = Vocab.pad_id) -> torch.Tensor:
    """Teacher forcing: feed <bos> y1 .. y(n-1), predict y1 .. yn <eos>; padding is not scored.

    batch = (src (B, Ls), tgt (B, Lt)); model(src, tgt[:, :-1]) -> logits (B, Lt-1, V).
    """
    src, tgt = batch
    logits = model(src, tgt[:, :-1])
    # cross_entropy wants the classes in dimension 1: (B, V, Lt-1) against (B, Lt-1).
    return F.cross_entropy(logits.transpose(1, 2), tgt[:, 1:], ignore_index=pad_id,
                           label_smoothing=label_smoothing)
