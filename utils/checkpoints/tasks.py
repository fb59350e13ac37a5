"""utils.pipeline(task, model=NAME_OR_PATH): a real checkpoint in the course's own model, behind the
same Pipeline classes as the offline course models.

The checkpoint's config says which family it is (its model_type); the family's loader builds the
course model; the checkpoint's own tokenizer or feature extractor (transformers' preprocessing, never
its models) turns inputs into tensors.
"""
from .. import pipelines as P
from .bert import load_bert_classifier
from .files import checkpoint_folder, read_config
from .gpt2 import load_gpt2


def _classifier(folder, device):
    model, tokenizer = load_bert_classifier(folder, device)
    # The Pipeline reads ids with the `tokenizers` API (encode_batch), as for MiniLM.
    return model, tokenizer.backend_tokenizer


def _generator(folder, device):
    return load_gpt2(folder, device)


# task -> {model_type: (builder(folder, device) -> (model, tokenizer), Pipeline class)}
CHECKPOINT_TASKS = {
    "sentiment-analysis": {"bert": (_classifier, P.TextClassificationPipeline),
                           "distilbert": (_classifier, P.TextClassificationPipeline)},
    "text-generation": {"gpt2": (_generator, P.TextGenerationPipeline)},
}


def checkpoint_pipeline(task, model, device, batch_size=None, download=None, **kwargs):
    """The Pipeline for `task` around the checkpoint `model` (a folder or a Hugging Face name)."""
    if task not in CHECKPOINT_TASKS:
        raise ValueError(f"task {task!r} cannot run a checkpoint; tasks that can: {', '.join(sorted(CHECKPOINT_TASKS))}")
    folder = checkpoint_folder(model, download)
    model_type = read_config(folder).get("model_type")
    families = CHECKPOINT_TASKS[task]
    if model_type not in families:
        raise ValueError(f"{task!r} runs {', '.join(sorted(families))} checkpoints; {model} is {model_type!r}")
    build, pipeline_class = families[model_type]
    loaded, tokenizer = build(folder, device)
    return pipeline_class(loaded, tokenizer, device=device, batch_size=batch_size, model_name=str(model),
                          info={"checkpoint": str(folder), "model_type": model_type}, **kwargs)
