"""The feature-extraction task: a text -> MiniLM's token vectors."""
from typing import Any

import torch

from ..batching import pad_batch
from .base import Pipeline, unpadded_ids


class FeatureExtractionPipeline(Pipeline):
    """A text -> its token vectors (1, tokens, d): nested lists of floats, or a tensor with return_tensors.

    Like Hugging Face's, the features are the encoder's last hidden states, one per token ([CLS]
    and [SEP] included, padding removed), not one vector per sentence: mean-pool them (and
    normalise) to get MiniLM's sentence embedding.
    """

    task = "feature-extraction"
    parameters = {"return_tensors": False}

    def preprocess(self, batch: list[str], **params: Any) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        ids = unpadded_ids(self.tokenizer, batch)
        input_ids, attention_mask = pad_batch(ids)
        return input_ids.to(self.device), attention_mask.to(self.device), [len(i) for i in ids]

    def _forward(self, model_inputs, **params):
        input_ids, attention_mask, lengths = model_inputs
        return self.model(input_ids, attention_mask), lengths  # (B, L, d)

    def postprocess(self, model_outputs: tuple[torch.Tensor, list[int]], return_tensors: bool = False,
                    **params: Any) -> list[torch.Tensor] | list[list[list[list[float]]]]:
        hidden, lengths = model_outputs
        per_text = [hidden[i:i + 1, :n].cpu() for i, n in enumerate(lengths)]  # (1, n_tokens, d) each
        return per_text if return_tensors else [t.tolist() for t in per_text]
