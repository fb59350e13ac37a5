"""The pipeline framework: the Pipeline base class (preprocess -> _forward -> postprocess) and its shared pieces.

A subclass runs one task; __call__ takes one input or a list, checks the arguments, batches inputs of
similar length (utils.batching.length_sorted_batches) and returns results in input order.
"""
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn as nn

from ..batching import length_sorted_batches
from ..runtime import as_device, check_int, eval_mode

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def postprocess_logits(logits: torch.Tensor, id2label: Mapping[int, str] | Sequence[str], top_k: int | None = 1,
                       function_to_apply: str = "softmax") -> list[dict | list[dict]]:
    """Classifier logits (B, C) -> one result per row, as Hugging Face's text-classification returns it.

    Each row becomes probabilities (softmax; function_to_apply="none" keeps the raw logits), then
    top_k=1 gives the best {"label": name, "score": float}; top_k=k (or None: every label) gives a
    list of such dicts, highest score first. id2label maps class id -> name (a dict or a sequence).
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (batch, num_labels), got {tuple(logits.shape)}")
    num_labels = logits.size(1)
    if len(id2label) != num_labels:
        raise ValueError(f"id2label names {len(id2label)} labels but the logits have {num_labels}")
    check_int("top_k", top_k, allow_none=True)  # None: every label
    if function_to_apply == "softmax":
        scores = torch.softmax(logits.float(), dim=-1)  # subtracts the max first: large logits are safe
    elif function_to_apply == "none":
        scores = logits.float()
    else:
        raise ValueError(f"function_to_apply must be 'softmax' or 'none', got {function_to_apply!r}")
    k = num_labels if top_k is None else min(top_k, num_labels)
    values, indices = scores.topk(k, dim=-1)  # (B, k), sorted, highest first
    results = []
    for row_values, row_indices in zip(values.tolist(), indices.tolist()):
        ranked = [{"label": id2label[i], "score": v} for v, i in zip(row_values, row_indices)]
        results.append(ranked[0] if top_k == 1 else ranked)
    return results


def unpadded_ids(tokenizer: "Tokenizer", texts: Sequence[str]) -> list[list[int]]:
    """MiniLM's tokenizer pads each batch itself; take its ids without the padding, as lists."""
    encodings = tokenizer.encode_batch(list(texts))
    return [e.ids[:sum(e.attention_mask)] for e in encodings]


class Pipeline:
    """Text in, Python results out, in three stages: preprocess -> _forward -> postprocess.

    A subclass sets `task`, declares the keyword arguments it accepts in `parameters`
    ({name: default}) and implements the three stages for one *batch* (a list of inputs):
    preprocess(batch, **params) -> model inputs; _forward(model_inputs, **params) -> model outputs;
    postprocess(model_outputs, **params) -> a list with one result per input. Every stage receives
    every parameter and uses the ones it needs. __call__ does the rest: it accepts one input or a
    list, checks the arguments, cuts the inputs into batches of similar length, and puts the
    results back in input order.
    """

    task = "custom"
    parameters = {}  # name -> default value, for every call argument the pipeline accepts
    default_batch_size = 8

    def __init__(self, model: nn.Module, tokenizer: Any = None, device: str | int | torch.device | None = None,
                 batch_size: int | None = None, model_name: str | None = None, info: dict | None = None,
                 **defaults: Any):
        self.model = model
        self.tokenizer = tokenizer
        self.device = as_device(device) if device is not None else _model_device(model)
        self.batch_size = self._check_batch_size(self.default_batch_size if batch_size is None else batch_size)
        self.model_name = model_name
        self.info = dict(info or {})
        self.defaults = self._check_parameters(defaults)  # pipeline(task, top_k=2): a default for every call

    # --- what a subclass may override ---------------------------------------------------------

    def check_input(self, item: Any) -> None:
        """Raise a ValueError if `item` is not one valid input (by default: a non-empty str)."""
        if not isinstance(item, str):
            raise ValueError(f"the {self.task} pipeline takes a str or a list of str, got {type(item).__name__}")
        if not item.strip():
            raise ValueError(f"the {self.task} pipeline got an empty text")

    def input_length(self, item: Any) -> int:
        """A cheap estimate of an input's length, to batch similar lengths together."""
        return len(item.split())

    def validate(self, params: dict[str, Any]) -> None:
        """Check the values of the call arguments (their names are already checked)."""

    def preprocess(self, batch: list[Any], **params: Any) -> Any:
        raise NotImplementedError

    def _forward(self, model_inputs, **params):
        raise NotImplementedError

    def postprocess(self, model_outputs: Any, **params: Any) -> list[Any]:
        raise NotImplementedError

    def format_single(self, result: Any) -> Any:
        """What a call with one str returns, given that input's result (Hugging Face's conventions)."""
        return result

    def format_list(self, results: list[Any]) -> list[Any]:
        """What a call with a list returns, given the list of per-input results."""
        return results

    # --- the machinery ------------------------------------------------------------------------

    def _check_batch_size(self, batch_size):
        check_int("batch_size", batch_size)
        return batch_size

    def _check_parameters(self, kwargs):
        unknown = sorted(set(kwargs) - set(self.parameters))
        if unknown:
            accepted = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items()) or "none"
            raise ValueError(f"the {self.task} pipeline got unexpected argument(s) {', '.join(unknown)}; "
                             f"it accepts: {accepted}, and batch_size")
        return dict(kwargs)

    def __call__(self, inputs, batch_size: int | None = None, **kwargs):
        single = not isinstance(inputs, (list, tuple))
        items = [inputs] if single else list(inputs)
        if not items:
            return []
        for item in items:
            self.check_input(item)
        params = {**self.parameters, **self.defaults, **self._check_parameters(kwargs)}
        self.validate(params)
        batch_size = self.batch_size if batch_size is None else self._check_batch_size(batch_size)
        results = [None] * len(items)
        with eval_mode(self.model):
            for indices in length_sorted_batches([self.input_length(x) for x in items], batch_size):
                batch = [items[i] for i in indices]
                outputs = self.postprocess(self._forward(self.preprocess(batch, **params), **params), **params)
                for i, result in zip(indices, outputs):
                    results[i] = result
        return self.format_single(results[0]) if single else self.format_list(results)

    def __repr__(self):
        return f"{type(self).__name__}(task={self.task!r}, model={self.model_name!r}, device={self.device.type!r})"


def _model_device(model):
    try:
        return next(model.parameters()).device
    except (StopIteration, AttributeError):
        return torch.device("cpu")
