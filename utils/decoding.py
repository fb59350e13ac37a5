"""Decoding: the greedy loop every encoder-decoder uses, beam search, sequence scores and translation.

Greedy decoding (Transformer.greedy_decode) commits to the most likely word at every step.
Beam search keeps the `beam_size` most likely partial sentences instead, and at the end returns
the best finished one, so an early word that looked second-best can still win.
Token sequences have the layout of greedy_decode: (B, L) starting with BOS, padding after EOS.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Optional, Union

import torch
import torch.nn as nn

from .runtime import check_int, eval_mode

if TYPE_CHECKING:
    from .data import Vocab


def greedy_search(next_logits: Callable[[torch.Tensor], torch.Tensor], prefix: torch.Tensor, eos_id: int,
                  max_new_tokens: int, pad_id: int, suppress_ids: Iterable[int] = (),
                  begin_suppress_ids: Iterable[int] = ()) -> torch.Tensor:
    """Greedy decoding: extend prefix (B, P) with the likeliest token until every row has written
    eos_id, or max_new_tokens times -> (B, <= P + max_new_tokens) ids, pad_id after a row's eos_id.

    next_logits(tokens (B, L)) -> (B, vocab_size): the model's logits for the token after tokens.
    suppress_ids: tokens never to write (Hugging Face's bad_words_ids, Whisper's suppress_tokens);
    begin_suppress_ids: tokens not to write first (Whisper's begin_suppress_tokens).
    """
    tokens = prefix
    finished = torch.zeros(prefix.size(0), dtype=torch.bool, device=prefix.device)
    suppress_ids = list(suppress_ids)
    for step in range(max_new_tokens):
        logits = next_logits(tokens)  # (B, vocab_size)
        banned = suppress_ids + (list(begin_suppress_ids) if step == 0 else [])
        if banned:
            logits[:, banned] = float("-inf")
        next_id = logits.argmax(dim=-1).masked_fill(finished, pad_id)  # a finished row only pads
        tokens = torch.cat([tokens, next_id[:, None]], dim=1)
        finished |= next_id == eos_id
        if finished.all():
            break
    return tokens


def sequence_log_prob(model: nn.Module, src: torch.Tensor, tokens: torch.Tensor, eos_id: int) -> torch.Tensor:
    """log p(tokens | src) under the model: the sum of the log-probabilities of every token after
    BOS, up to and including the first EOS (what follows it is ignored).

    src (B, Ls), tokens (B, L) starting with BOS -> (B,)
    """
    log_probs = torch.log_softmax(model(src, tokens[:, :-1]), dim=-1)  # (B, L-1, V)
    picked = log_probs.gather(-1, tokens[:, 1:, None]).squeeze(-1)  # (B, L-1)
    is_eos = (tokens[:, 1:] == eos_id).long()
    after_eos = (is_eos.cumsum(dim=1) - is_eos) > 0  # strictly after the first EOS
    return picked.masked_fill(after_eos, 0.0).sum(dim=1)


def _check_beam_arguments(model, src, bos_id, eos_id, max_len, beam_size):
    if src.dim() not in (1, 2):
        raise ValueError(f"src must be one sentence (Ls,) or a batch (B, Ls) of token ids, got {tuple(src.shape)}")
    check_int("beam_size", beam_size)
    check_int("max_len", max_len)
    vocab_size = model.generator.out_features
    for name, token in (("bos_id", bos_id), ("eos_id", eos_id)):
        if not 0 <= token < vocab_size:
            raise ValueError(f"{name} must be a target token id in [0, {vocab_size}), got {token}")


@torch.no_grad()
def beam_search(model: nn.Module, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int, beam_size: int = 4,
                length_penalty: float = 1.0, return_scores: bool = False) -> Union[torch.Tensor, list, tuple]:
    """The most likely translations that beam search finds, for one sentence or a batch.

    src  (Ls,) one sentence -> tokens (L,), or (B, Ls) a batch -> tokens (B, L), each searched
         on its own; L <= max_len + 1, tokens start with BOS and are padded after EOS.
    At every step each of the beam_size hypotheses is extended by every token, and the beam_size
    extensions with the highest log-probability survive; a hypothesis that has produced EOS stays
    in the beam unchanged. When every hypothesis has ended (or after max_len tokens) the winner is
    the one with the best  log p / length ** length_penalty: 0 ranks by probability alone, which
    favours short outputs; 1 ranks by the average log-probability per token.
    With return_scores=True it also returns the winners' log-probabilities, (B,) or ().
    beam_size=1 is greedy decoding: the result equals model.greedy_decode.
    """
    _check_beam_arguments(model, src, bos_id, eos_id, max_len, beam_size)
    single = src.dim() == 1
    if single:
        src = src[None]
    B, K, pad = src.size(0), beam_size, model.pad_id
    memory, src_mask = model.encode(src)  # (B, Ls, d), (B, 1, 1, Ls)
    memory = memory.repeat_interleave(K, dim=0)  # (B*K, Ls, d): beam k of sentence b is row b*K + k
    src_mask = src_mask.repeat_interleave(K, dim=0)
    ys = torch.full((B * K, 1), bos_id, dtype=torch.long, device=src.device)
    # Log-probabilities of the hypotheses (B, K). Only beam 0 is alive at first, so that the first
    # step does not pick the same token K times from K identical beams.
    scores = torch.full((B, K), float("-inf"), device=src.device)
    scores[:, 0] = 0.0
    finished = torch.zeros(B, K, dtype=torch.bool, device=src.device)
    lengths = torch.zeros(B, K, device=src.device)  # generated tokens, EOS included
    for _ in range(max_len):
        logits = model.decode(ys, memory, src_mask)[:, -1]  # (B*K, V)
        log_probs = torch.log_softmax(logits.float(), dim=-1).view(B, K, -1)  # (B, K, V)
        # A finished (or dead, -inf) hypothesis has one continuation, padding, which costs nothing.
        done = finished | scores.isinf()
        log_probs = log_probs.masked_fill(done[..., None], float("-inf"))
        log_probs[..., pad] = log_probs[..., pad].masked_fill(done, 0.0)
        V = log_probs.size(-1)
        candidates = (scores[..., None] + log_probs).view(B, K * V)  # every extension of every beam
        scores, index = candidates.topk(K, dim=-1)  # (B, K)
        beam, token = index // V, index % V  # which hypothesis was extended, by which token
        rows = (beam + torch.arange(B, device=src.device)[:, None] * K).view(-1)  # (B*K,) rows of ys
        ys = torch.cat([ys[rows], token.view(-1, 1)], dim=1)
        was_done = done.gather(1, beam)
        lengths = lengths.gather(1, beam) + (~was_done).float()
        finished = finished.gather(1, beam) | (~was_done & (token == eos_id))
        if (finished | scores.isinf()).all():
            break
    ranking = scores / lengths.clamp(min=1) ** length_penalty  # (B, K)
    best = ranking.argmax(dim=-1)  # (B,)
    tokens = ys.view(B, K, -1)[torch.arange(B, device=src.device), best]  # (B, L)
    best_lengths = lengths.gather(1, best[:, None])
    tokens = tokens[:, : 1 + int(best_lengths.max())]  # drop the columns only other hypotheses needed
    best_scores = scores.gather(1, best[:, None]).squeeze(1)
    if single:
        tokens, best_scores = tokens[0], best_scores[0]
    return (tokens, best_scores) if return_scores else tokens


@torch.no_grad()
def translate(model: nn.Module, sentence: str, src_vocab: Vocab, tgt_vocab: Vocab, method: str = "greedy",
              beam_size: int = 4, max_len: Optional[int] = None,
              length_penalty: float = 1.0) -> Union[str, list]:
    """French sentence (a string, or a list of them) -> English string (or list), by greedy or beam search.

    max_len defaults to twice the longest source sentence plus 5 tokens.
    """
    if method not in ("greedy", "beam"):
        raise ValueError(f"method must be 'greedy' or 'beam', got {method!r}")
    single = isinstance(sentence, str)
    sentences = [sentence] if single else list(sentence)
    ids = [src_vocab.encode(s) for s in sentences]
    if not sentences or any(len(i) == 0 for i in ids):
        raise ValueError("translate needs non-empty sentences")
    device = next(model.parameters()).device
    src = torch.full((len(ids), max(map(len, ids))), src_vocab.pad_id, dtype=torch.long, device=device)
    for row, i in enumerate(ids):
        src[row, : len(i)] = torch.tensor(i, device=device)
    if max_len is None:
        max_len = 2 * src.size(1) + 5
    with eval_mode(model):
        if method == "greedy":
            out = model.greedy_decode(src, tgt_vocab.bos_id, tgt_vocab.eos_id, max_len)
        else:
            out = beam_search(model, src, tgt_vocab.bos_id, tgt_vocab.eos_id, max_len, beam_size,
                              length_penalty)
    english = [tgt_vocab.decode(row) for row in out]
    return english[0] if single else english
