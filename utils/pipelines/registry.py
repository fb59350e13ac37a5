"""The pipeline registry: Task, register_task, pipeline(task) and available_tasks, with the five built-in tasks."""
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .. import hub
from ..checkpoints.tasks import CHECKPOINT_TASKS, checkpoint_pipeline
from ..runtime import as_device
from .base import Pipeline
from .classification import TextClassificationPipeline
from .features import FeatureExtractionPipeline
from .generation import TextGenerationPipeline
from .summarization import SummarizationPipeline
from .translation import TranslationPipeline


@dataclass
class Task:
    """A task the registry knows: the Pipeline class that runs it and the hub models it may use."""

    name: str
    pipeline_class: type
    default_model: str
    models: tuple
    description: str = ""


TASKS: dict[str, Task] = {}
# Hugging Face's other names for the same tasks.
TASK_ALIASES = {"text-classification": "sentiment-analysis"}


def register_task(name: str, pipeline_class: type[Pipeline], default_model: str, models: Sequence[str] | None = None,
                  description: str = "", overwrite: bool = False) -> None:
    """Make utils.pipeline(name) build `pipeline_class` around the hub model `default_model`.

    pipeline_class must be a subclass of Pipeline; models lists every hub model it may use
    (default: only default_model). Registering an existing name needs overwrite=True.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a task name must be a non-empty str, got {name!r}")
    if not (isinstance(pipeline_class, type) and issubclass(pipeline_class, Pipeline)):
        raise ValueError(f"pipeline_class must be a subclass of utils.pipelines.Pipeline, got {pipeline_class!r}")
    models = tuple(models or (default_model,))
    for model in models:
        hub.get_recipe(model)  # raises, listing the hub's models, if it does not know this one
    if default_model not in models:
        raise ValueError(f"default_model {default_model!r} must be one of models {models}")
    if (name in TASKS or name in TASK_ALIASES) and not overwrite:
        raise ValueError(f"task {name!r} is already registered; pass overwrite=True to replace it")
    TASKS[name] = Task(name, pipeline_class, default_model, models, description)


def _checkpoint_pipeline(name, model, device, batch_size, **kwargs):
    try:
        return checkpoint_pipeline(name, model, as_device(device), batch_size, **kwargs)
    except FileNotFoundError as err:
        offline = f"; offline models: {', '.join(TASKS[name].models)}" if name in TASKS else ""
        raise ValueError(f"{name!r} has no model {model!r}: {err}{offline}") from err


def available_tasks() -> list[str]:
    """The names utils.pipeline accepts, aliases included, sorted."""
    return sorted(set(TASKS) | set(TASK_ALIASES))


def pipeline(task: str, model: str | None = None, device: str | int | torch.device | None = None,
             batch_size: int | None = None, **kwargs: Any) -> Pipeline:
    """Build the offline pipeline for `task`, as transformers.pipeline(task, model=..., device=...) does.

    model: a hub model name (see utils.hub.MODELS); None picks the task's default. device: None (the
    best device here), "cpu", "cuda", "mps", a torch.device or -1/0/1... batch_size: inputs per batch.
    Other keyword arguments become defaults for every call (e.g. max_new_tokens=30).
    The first time a model is needed, utils.hub trains it (seconds) and caches it.
    model may also be a Hugging Face checkpoint, a folder or a name ("gpt2"; from the Hugging Face cache,
    downloaded when online): utils.checkpoints runs it in the course's own model (see utils.checkpoints.tasks).
    """
    if not isinstance(task, str):
        raise ValueError(f"task must be a str, one of {', '.join(available_tasks())}; got {type(task).__name__}")
    name = TASK_ALIASES.get(task, task)
    if model is not None and model not in (TASKS[name].models if name in TASKS else ()):
        return _checkpoint_pipeline(name, model, device, batch_size, **kwargs)
    if name not in TASKS:
        hint = ""
        if task.startswith("translation"):
            hint = " (this course's translator only goes from French to English)"  # lesson 06 prints this
        elif name in CHECKPOINT_TASKS:
            hint = f" offline; it runs a checkpoint: model=<a folder or Hugging Face name of a {name} model>"
        raise ValueError(f"unknown task {task!r}{hint}; available tasks: {', '.join(available_tasks())}")
    spec = TASKS[name]
    model_name = spec.default_model if model is None else model
    if model_name not in spec.models:
        raise ValueError(f"{task!r} has no model {model_name!r} offline; available: {', '.join(spec.models)}. "
                         "The course downloads nothing: its models are made by utils.hub")
    device = as_device(device)
    loaded = hub.load_model(model_name, device)
    return spec.pipeline_class(loaded.model, loaded.tokenizer, device=device, batch_size=batch_size,
                               model_name=model_name, info=loaded.info, **kwargs)


register_task("sentiment-analysis", TextClassificationPipeline, "course/minilm-sentiment",
              description="positive or negative: MiniLM + a linear head trained on generated reviews")
register_task("feature-extraction", FeatureExtractionPipeline, "sentence-transformers/all-MiniLM-L6-v2",
              description="MiniLM's token vectors")
register_task("text-generation", TextGenerationPipeline, "course/gpt-pydoc",
              description="continue a prompt with lesson 05's GPT (Python's help pages)")
register_task("translation_fr_to_en", TranslationPipeline, "course/transformer-fr-en",
              description="French -> English with lesson 04's Transformer (its grammar's words only)")
register_task("summarization", SummarizationPipeline, "sentence-transformers/all-MiniLM-L6-v2",
              description="extractive: keep the sentences most similar to the rest (MiniLM embeddings)")
