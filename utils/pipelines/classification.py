"""The sentiment-analysis task: a text -> {"label", "score"} from a SentenceClassifier's logits."""
from typing import Any

import torch

from ..batching import pad_batch
from .base import Pipeline, postprocess_logits, unpadded_ids


class TextClassificationPipeline(Pipeline):
    """A text -> {"label", "score"}: a SentenceClassifier's logits, softmaxed (see postprocess_logits)."""

    task = "sentiment-analysis"
    parameters = {"top_k": 1, "function_to_apply": "softmax"}

    def preprocess(self, batch: list[str], **params: Any) -> tuple[torch.Tensor, torch.Tensor]:
        input_ids, attention_mask = pad_batch(unpadded_ids(self.tokenizer, batch))
        return input_ids.to(self.device), attention_mask.to(self.device)

    def _forward(self, model_inputs, **params):
        return self.model(*model_inputs)  # logits (B, num_labels)

    def postprocess(self, logits: torch.Tensor, top_k: int | None = 1, function_to_apply: str = "softmax",
                    **params: Any) -> list[dict | list[dict]]:
        return postprocess_logits(logits.cpu(), self.model.id2label, top_k, function_to_apply)

    def format_single(self, result: dict | list[dict]) -> list[dict]:
        return [result] if isinstance(result, dict) else result  # HF: one str -> [{"label", "score"}]
