"""RNN encoder-decoders (2014): one squeezes the sentence into a single vector, one reads it through Bahdanau attention.

Both translate French to English with the same GRU encoder and the same GRU decoder; they differ only in the
context vector the decoder reads at step t:
    bottleneck (Cho et al., 2014):        c_t = one summary vector of the whole sentence, the same for every t
    attention  (Bahdanau et al., 2014):   c_t = sum_j a_tj h_j,  a_t = softmax_j(v^T tanh(W s_(t-1) + U h_j))
so the bottleneck model must fit every sentence, however long, into `hidden` numbers, while the attention
model looks back at every source word when it writes each target word. The interface is the Transformer's
(`encode`, `decode`, `model(src, tgt_in) -> logits`), so utils.translate, exact_match and seq2seq_loss work as is.
"""
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import padding_mask
from .data.french import random_sentence
from .decoding import greedy_search
from .tokenization import Vocab
from .translator import exact_match  # the same metric as the Transformer's (lesson 04)

ASSET = Path(__file__).resolve().parent / "assets" / "course--rnn-seq2seq.safetensors"
# The shipped pair (tools/train_seq2seq.py): trained on 1-3 clauses, tested on 1-4.
CORPUS = dict(n_train=8000, n_test_per_length=100, max_clauses=3, test_clauses=4, seed=0)


def additive_attention(state: torch.Tensor, memory: torch.Tensor, W: torch.Tensor, U: torch.Tensor, v: torch.Tensor,
                       mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Bahdanau attention: score_j = v . tanh(W s + U h_j), softmax over the source positions j.

    state (B, Hs) the decoder's state s, memory (B, S, Hm) the encoder's states h_j, W (A, Hs), U (A, Hm),
    v (A,), mask (B, S) True = a real word (None: every position) -> context (B, Hm), weights (B, S).
    """
    if state.dim() != 2 or memory.dim() != 3 or memory.size(0) != state.size(0):
        raise ValueError(f"expected state (B, Hs) and memory (B, S, Hm), got {tuple(state.shape)} and "
                         f"{tuple(memory.shape)}")
    if mask is not None and mask.shape != memory.shape[:2]:
        raise ValueError(f"mask must have shape (B, S) = {tuple(memory.shape[:2])}, got {tuple(mask.shape)}")
    scores = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v  # (B, 1, A) + (B, S, A) -> (B, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)  # (B, S)
    return (weights[:, :, None] * memory).sum(dim=1), weights  # (B, Hm), (B, S)


class AdditiveAttention(nn.Module):
    """additive_attention with learned W, U and v (no biases, as in Bahdanau et al.)."""

    def __init__(self, state_dim: int, memory_dim: int, attention_dim: int):
        super().__init__()
        self.W = nn.Linear(state_dim, attention_dim, bias=False)
        self.U = nn.Linear(memory_dim, attention_dim, bias=False)
        self.v = nn.Parameter(torch.randn(attention_dim) / attention_dim ** 0.5)

    def forward(self, state: torch.Tensor, memory: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """state (B, Hs), memory (B, S, Hm), mask (B, S) -> context (B, Hm), weights (B, S)."""
        return additive_attention(state, memory, self.W.weight, self.U.weight, self.v, mask)


class RNNSeq2Seq(nn.Module):
    """A bidirectional GRU encoder and a GRU decoder; `attention=False` gives the single-vector bottleneck."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embed_dim: int = 64, hidden: int = 128,
                 attention: bool = True, pad_id: int = 0):
        super().__init__()
        if hidden % 2:
            raise ValueError(f"hidden must be even (two encoder directions of hidden // 2), got {hidden}")
        self.attention, self.pad_id, self.hidden = attention, pad_id, hidden
        self.src_embed = nn.Embedding(src_vocab_size, embed_dim, padding_idx=pad_id)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, embed_dim, padding_idx=pad_id)
        self.encoder = nn.GRU(embed_dim, hidden // 2, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(hidden, hidden)  # the sentence summary -> the decoder's first state
        self.attend = AdditiveAttention(hidden, hidden, hidden) if attention else None
        self.cell = nn.GRUCell(embed_dim + hidden, hidden)  # input: previous word and context c_t
        self.out = nn.Linear(hidden + hidden + embed_dim, tgt_vocab_size)  # from s_t, c_t and the input word

    def encode(self, src: torch.Tensor) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """src (B, S) token ids, right-padded -> ((memory (B, S, H), summary (B, H)), src_mask (B, S))."""
        if src.dim() != 2:
            raise ValueError(f"src must be token ids of shape (B, S), got {tuple(src.shape)}")
        src_mask = padding_mask(src, self.pad_id)[:, 0, 0]  # (B, S): True on real words
        lengths = src_mask.sum(dim=1)
        if (lengths == 0).any():
            raise ValueError("every source sentence needs at least one word (a row of src is all padding)")
        packed = pack_padded_sequence(self.src_embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, final = self.encoder(packed)  # final (2, B, H/2): the last state of each direction
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.size(1))  # (B, S, H)
        summary = torch.cat([final[0], final[1]], dim=-1)  # (B, H): forward read to the end, backward to the start
        return (memory, summary), src_mask

    def decode(self, tgt_in: torch.Tensor, encoded: tuple[torch.Tensor, torch.Tensor], src_mask: torch.Tensor,
               return_weights: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: tgt_in (B, T) -> logits (B, T, V) (and attention weights (B, T, S) if asked;
        the bottleneck model has none and returns None)."""
        memory, summary = encoded
        state = torch.tanh(self.init_state(summary))  # (B, H)
        words = self.tgt_embed(tgt_in)  # (B, T, E)
        features, weights = [], []
        for t in range(tgt_in.size(1)):
            if self.attention:
                context, w = self.attend(state, memory, src_mask)  # reads s_(t-1)
                weights.append(w)
            else:
                context = summary  # the same vector at every step: all the decoder knows of the sentence
            state = self.cell(torch.cat([words[:, t], context], dim=-1), state)
            features.append(torch.cat([state, context, words[:, t]], dim=-1))
        logits = self.out(torch.stack(features, dim=1))
        if return_weights:
            return logits, (torch.stack(weights, dim=1) if weights else None)
        return logits

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """src (B, S), tgt_in (B, T) -> logits (B, T, V), like utils.Transformer."""
        encoded, src_mask = self.encode(src)
        return self.decode(tgt_in, encoded, src_mask)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int) -> torch.Tensor:
        """Pick the likeliest next word until every sentence has written eos_id or max_len words
        -> (B, <= max_len + 1) ids starting with bos_id, pad_id after a sentence's eos_id."""
        encoded, src_mask = self.encode(src)
        prefix = torch.full((src.size(0), 1), bos_id, dtype=torch.long, device=src.device)
        return greedy_search(lambda ys: self.decode(ys, encoded, src_mask)[:, -1], prefix, eos_id, max_len,
                             self.pad_id)


def make_clause_corpus(n_train: int, n_test_per_length: int, max_clauses: int = 3, test_clauses: int | None = None,
                       seed: int = 0) -> tuple[list[tuple[str, str]], dict[int, list[tuple[str, str]]]]:
    """Longer sentences from the course's grammar: 1 .. max_clauses sentences joined by "et" / "and".

    -> (train_pairs, test_by_clauses): a list of (french, english) and {clauses: list of pairs} with
    n_test_per_length pairs for each clause count 1 .. test_clauses (default max_clauses); no French
    sentence of the test sets occurs in training.
    """
    test_clauses = max_clauses if test_clauses is None else test_clauses
    rng = random.Random(seed)

    def joined(clauses):
        parts = [random_sentence(rng) for _ in range(clauses)]
        return " et ".join(fr for fr, _ in parts), " and ".join(en for _, en in parts)

    test = {k: [joined(k) for _ in range(n_test_per_length)] for k in range(1, test_clauses + 1)}
    held_out = {fr for pairs in test.values() for fr, _ in pairs}
    train = []
    while len(train) < n_train:
        fr, en = joined(rng.randint(1, max_clauses))
        if fr not in held_out:
            train.append((fr, en))
    return train, test


def clause_test_sets() -> dict:
    """The shipped pair's test sets: {clauses: 100 (french, english) pairs}, for 1 to 4 clauses."""
    return make_clause_corpus(**CORPUS)[1]


def exact_match_by_clauses(model: RNNSeq2Seq, test_by_clauses: Mapping[int, Sequence[tuple[str, str]]],
                           src_vocab: Vocab, tgt_vocab: Vocab) -> dict:
    """Exact match of greedy translations for each clause count -> {clauses: fraction correct}."""
    return {k: exact_match(model, pairs, src_vocab, tgt_vocab) for k, pairs in test_by_clauses.items()}


def clause_vocabularies(train_pairs: Iterable[tuple[str, str]],
                        test_by_clauses: Mapping[int, Iterable[tuple[str, str]]]) -> tuple[Vocab, Vocab]:
    """Word vocabularies (French, English) over the training and test sentences."""
    pairs = list(train_pairs) + [pair for pairs in test_by_clauses.values() for pair in pairs]
    return Vocab([fr for fr, _ in pairs]), Vocab([en for _, en in pairs])


def save_rnn_seq2seq(models: dict, src_vocab: Vocab, tgt_vocab: Vocab, path: str | Path, **info: Any) -> None:
    """Save {"attention": model, "bottleneck": model} and both vocabularies into one safetensors file."""
    tensors = {f"{name}.{key}": value.detach().cpu().contiguous()
               for name, model in models.items() for key, value in model.state_dict().items()}
    config = {name: dict(src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab), hidden=model.hidden,
                         embed_dim=model.src_embed.embedding_dim, attention=model.attention)
              for name, model in models.items()}
    save_file(tensors, str(path), metadata={"config": json.dumps(config), "src_itos": json.dumps(src_vocab.itos),
                                           "tgt_itos": json.dumps(tgt_vocab.itos), "info": json.dumps(info)})


def _vocab_from_itos(itos) -> Vocab:
    vocab = Vocab([])
    vocab.itos, vocab.stoi = list(itos), {word: i for i, word in enumerate(itos)}
    return vocab


def load_rnn_seq2seq(path: str | Path | None = None, device: str | torch.device = "cpu"
                     ) -> tuple[dict[str, RNNSeq2Seq], Vocab, Vocab, dict]:
    """-> ({"attention": RNNSeq2Seq, "bottleneck": RNNSeq2Seq} in eval mode, src_vocab, tgt_vocab, info dict)
    from the shipped (or given) file."""
    path = Path(path) if path is not None else ASSET
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: run python -m tools.train_seq2seq")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    state = load_file(str(path))
    models = {}
    for name, config in json.loads(meta["config"]).items():
        model = RNNSeq2Seq(**config)
        model.load_state_dict({key[len(name) + 1:]: value for key, value in state.items()
                               if key.startswith(name + ".")})
        models[name] = model.to(device).eval()
    return (models, _vocab_from_itos(json.loads(meta["src_itos"])), _vocab_from_itos(json.loads(meta["tgt_itos"])),
            json.loads(meta["info"]))
