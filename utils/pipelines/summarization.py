"""The summarization task: extractive summaries from MiniLM sentence embeddings, and lesson 06's pieces of it.

    split_sentences(text) -> sentences; centrality_scores(embeddings) -> each sentence's mean similarity
    to the others; select_sentences(...) -> the indices a summary keeps; SummarizationPipeline uses all three.
"""
import re
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from ..runtime import check_int
from .base import Pipeline


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """A text -> its sentences: cut after ., ! or ? followed by spaces and a capital letter or digit."""
    if not isinstance(text, str):
        raise ValueError(f"expected a str, got {type(text).__name__}")
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def centrality_scores(embeddings: torch.Tensor) -> torch.Tensor:
    """Sentence embeddings (n, d) -> (n,): each sentence's mean cosine similarity to the *other* ones.

    A sentence that resembles many others states what the text keeps coming back to: it is
    *central* (degree centrality, the simplest form of LexRank). With one sentence, its score is 0.
    """
    if embeddings.dim() != 2 or embeddings.size(0) == 0:
        raise ValueError(f"embeddings must have shape (n_sentences >= 1, d), got {tuple(embeddings.shape)}")
    unit = F.normalize(embeddings.float(), dim=-1)
    similarity = unit @ unit.T  # (n, n) cosine similarities, 1 on the diagonal
    n = similarity.size(0)
    if n == 1:
        return torch.zeros(1)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def select_sentences(sentences: Sequence[str], scores: torch.Tensor | Sequence[float], num_sentences: int | None = None,
                     max_length: int | None = None, min_length: int = 0) -> list[int]:
    """Indices of the sentences an extractive summary keeps, in their original order.

    Walk the sentences from the highest score down and keep each one, until num_sentences are kept
    or the next one would take the summary past max_length words. While the summary is shorter
    than min_length words, max_length does not stop it. The best sentence is always kept.
    """
    if len(sentences) != len(scores):
        raise ValueError(f"got {len(sentences)} sentences but {len(scores)} scores")
    scores = torch.as_tensor(scores, dtype=torch.float).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])  # stable: ties in text order
    kept, words = [], 0
    for i in ranked:
        if num_sentences is not None and len(kept) >= num_sentences:
            break
        n_words = len(sentences[i].split())
        too_long = max_length is not None and words + n_words > max_length
        if kept and too_long and words >= min_length:
            break
        kept.append(i)
        words += n_words
    return sorted(kept)


class SummarizationPipeline(Pipeline):
    """A text -> [{"summary_text"}]: its most *central* sentences, in their original order.

    Extractive: every sentence is embedded with MiniLM; a sentence's centrality is its mean cosine
    similarity to the other sentences (centrality_scores); the summary keeps the best ones
    (select_sentences). Lengths are counted in words (Hugging Face counts tokens): max_length
    (default 60) and min_length (default 0), or num_sentences. Nothing is sampled, so do_sample
    may only be False. An abstractive model (BART, T5) would instead *write* a new text with a
    decoder, word by word; this one can only quote.
    """

    task = "summarization"
    parameters = {"max_length": 60, "min_length": 0, "num_sentences": None, "do_sample": False}
    default_batch_size = 1

    def validate(self, params: dict[str, Any]) -> None:
        if params["do_sample"]:
            raise ValueError("extractive summarization quotes sentences and samples nothing: do_sample must be False")
        for name in ("max_length", "num_sentences"):
            value = params[name]
            check_int(name, value, allow_none=True)
        low = params["min_length"]
        check_int("min_length", low, minimum=0)
        if params["max_length"] is not None and low > params["max_length"]:
            raise ValueError(f"min_length ({low}) is larger than max_length ({params['max_length']})")

    def input_length(self, item: str) -> int:
        return len(item.split())

    def preprocess(self, batch: list[str], **params: Any) -> list[list[str]]:
        return [split_sentences(text) for text in batch]

    def _forward(self, documents, **params):
        return [(sentences, centrality_scores(self.model.encode(sentences))) for sentences in documents]

    def postprocess(self, model_outputs: list[tuple[list[str], torch.Tensor]], max_length: int | None = 60,
                    min_length: int = 0, num_sentences: int | None = None, **params: Any
                    ) -> list[list[dict[str, str]]]:
        results = []
        for sentences, scores in model_outputs:
            kept = select_sentences(sentences, scores, num_sentences, max_length, min_length)
            results.append([{"summary_text": " ".join(sentences[i] for i in kept)}])
        return results

    def format_list(self, results: list[list[dict[str, str]]]) -> list[dict[str, str]]:
        return [r[0] for r in results]  # HF: a list of texts -> one dict per text
