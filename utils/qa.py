"""Extractive question answering with the course's MiniLM: find the sentence, then point at the answer span.

Two steps, as in retrieve-then-read systems:
1. retrieve: MiniLM's sentence vectors (lesson 02) pick the sentence of the context closest to the question;
2. read: a small span probe, trained on frozen MiniLM token vectors, scores every token of that sentence as
   the answer's start and as its end; the answer is the best span with start <= end.
The probe sees, for each token, its vector h, h * q (q the question's mean vector: which tokens the question
is about) and the token's largest cosine similarity to any question token (which words the question repeats).
"""
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn as nn
import torch.nn.functional as F

from .bert import BertEncoder
from .pipelines import split_sentences
from .runtime import check_int, eval_mode

if TYPE_CHECKING:
    from tokenizers import Encoding


class SpanProbe(nn.Module):
    """Token features (B, L, 2 d + 1) -> start and end logits (B, L, 2): one hidden layer."""

    def __init__(self, d_model: int = 384, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 * d_model + 1, hidden), nn.GELU(), nn.Linear(hidden, 2))

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """features (B, L, 2 d + 1), mask (B, L) True on real tokens -> logits (B, L, 2), -inf off them."""
        return self.net(features).masked_fill(~mask[..., None], float("-inf"))


@torch.no_grad()
def _token_vectors(encoder, texts):
    """texts -> unit token vectors (B, L, d), mask (B, L) bool, and the tokenizers' encodings (for offsets)."""
    encodings = encoder.tokenizer.encode_batch(list(texts))
    length = max(len(e.ids) for e in encodings)
    ids = torch.zeros(len(encodings), length, dtype=torch.long)
    for row, e in enumerate(encodings):
        ids[row, :len(e.ids)] = torch.tensor(e.ids)
    mask = ids != 0  # BERT's [PAD] is id 0
    hidden = encoder(ids.to(encoder.device), mask.to(encoder.device)).cpu()
    return F.normalize(hidden, dim=-1), mask, encodings


def span_features(encoder: BertEncoder, questions: Sequence[str], sentences: Sequence[str]
                  ) -> tuple[torch.Tensor, torch.Tensor, list["Encoding"]]:
    """Frozen-encoder features of each sentence's tokens, given its question.

    -> features (B, L, 2 d + 1), mask (B, L) (real tokens of the sentence, without [CLS] and [SEP]),
    encodings (the sentences' tokenizations, whose .offsets map tokens back to characters).
    """
    if len(questions) != len(sentences) or not questions:
        raise ValueError(f"expected as many questions as sentences (at least one), got {len(questions)} "
                         f"and {len(sentences)}")
    q_vectors, q_mask, _ = _token_vectors(encoder, questions)
    s_vectors, s_mask, encodings = _token_vectors(encoder, sentences)
    q_mean = (q_vectors * q_mask[..., None]).sum(1) / q_mask.sum(1, keepdim=True)  # (B, d)
    similarity = torch.einsum("bsd,bqd->bsq", s_vectors, q_vectors).masked_fill(~q_mask[:, None, :], -1.0)
    features = torch.cat([s_vectors, s_vectors * q_mean[:, None, :], similarity.max(dim=-1).values[..., None]], -1)
    inside = s_mask.clone()
    for row, e in enumerate(encodings):  # the answer is never [CLS] or [SEP] (the tokenizer may pad: count real ones)
        inside[row, 0] = inside[row, sum(e.attention_mask) - 1] = False
    return features, inside, encodings


def best_spans(logits: torch.Tensor, max_tokens: int = 8) -> list[tuple[int, int, float]]:
    """logits (B, L, 2) -> per row (start, end, probability) of the likeliest span with start <= end < start +
    max_tokens, its probability being p_start * p_end."""
    check_int("max_tokens", max_tokens)
    p_start, p_end = logits[..., 0].softmax(-1), logits[..., 1].softmax(-1)  # (B, L) each
    length = logits.size(1)
    joint = p_start[:, :, None] * p_end[:, None, :]  # (B, L start, L end)
    allowed = torch.ones(length, length, dtype=torch.bool).triu().tril(max_tokens - 1)  # start <= end < start + k
    joint = joint.masked_fill(~allowed, 0.0)
    best = joint.flatten(1).argmax(dim=1)
    return [(int(i) // length, int(i) % length, joint[row].flatten()[i].item()) for row, i in enumerate(best)]


def _token_targets(encodings, sentences, answers):
    starts, ends = [], []
    for e, sentence, answer in zip(encodings, sentences, answers):
        first = sentence.index(answer)
        last = first + len(answer)
        starts.append(next(t for t, (a, b) in enumerate(e.offsets) if a <= first < b and b > a))
        ends.append(next(t for t, (a, b) in enumerate(e.offsets) if a < last <= b))
    return torch.tensor(starts), torch.tensor(ends)


def answer_sentence(context: str, answer_start: int) -> str:
    """The sentence of `context` that holds the character at answer_start."""
    offset = 0
    for sentence in split_sentences(context):
        offset = context.index(sentence, offset)
        if offset <= answer_start < offset + len(sentence):
            return sentence
        offset += len(sentence)
    raise ValueError(f"answer_start {answer_start} is outside the context's sentences")


def train_span_probe(encoder: BertEncoder, examples: Sequence[dict], steps: int = 500, batch_size: int = 64,
                     lr: float = 3e-3, seed: int = 0) -> SpanProbe:
    """Train a SpanProbe on examples ({"question", "context", "answer", "answer_start"}), each read in the
    sentence that holds its answer. The encoder stays frozen: its features are computed once."""
    sentences = [answer_sentence(x["context"], x["answer_start"]) for x in examples]
    features, mask, encodings = span_features(encoder, [x["question"] for x in examples], sentences)
    starts, ends = _token_targets(encodings, sentences, [x["answer"] for x in examples])
    torch.manual_seed(seed)
    probe = SpanProbe(features.size(-1) // 2)
    optimizer = torch.optim.AdamW(probe.parameters(), lr=lr)
    batches = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        rows = torch.randint(0, len(examples), (batch_size,), generator=batches)
        logits = probe(features[rows], mask[rows])
        loss = F.cross_entropy(logits[..., 0], starts[rows]) + F.cross_entropy(logits[..., 1], ends[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe.eval()


class ExtractiveQA:
    """question + context -> {"answer", "score", "start", "end"} (character offsets into the context),
    the output of Hugging Face's question-answering pipeline."""

    def __init__(self, encoder: BertEncoder, probe: SpanProbe):
        self.encoder, self.probe = encoder, probe

    def retrieve(self, question: str, context: str) -> tuple[str, int]:
        """The context's sentence closest to the question (cosine of MiniLM sentence vectors), and its offset."""
        sentences = split_sentences(context)
        if not sentences:
            raise ValueError("the context holds no sentence")
        scores = self.encoder.encode(sentences) @ self.encoder.encode([question])[0]  # (n,)
        best = int(scores.argmax())
        return sentences[best], context.index(sentences[best])

    def __call__(self, question: str, context: str) -> dict:
        sentence, offset = self.retrieve(question, context)
        features, mask, encodings = span_features(self.encoder, [question], [sentence])
        with eval_mode(self.probe):
            start, end, score = best_spans(self.probe(features, mask))[0]
        first, last = encodings[0].offsets[start][0], encodings[0].offsets[end][1]
        return {"answer": sentence[first:last], "score": score, "start": offset + first, "end": offset + last}


def qa_exact_match(qa: ExtractiveQA, examples: Sequence[dict]) -> float:
    """The fraction of examples whose answer equals the reference (ignoring case)."""
    return sum(qa(x["question"], x["context"])["answer"].lower() == x["answer"].lower()
               for x in examples) / len(examples)
