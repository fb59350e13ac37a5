"""utils.pipeline(task, model=NAME_OR_PATH): which checkpoint family runs which task.

utils.pipeline(task, model=NAME_OR_PATH): a real checkpoint in the course's own model, behind the
same Pipeline classes as the offline course models.

The checkpoint's config says which family it is (its model_type); the family's loader builds the
course model; the checkpoint's own tokenizer or feature extractor (transformers' preprocessing, never
its models) turns inputs into tensors.
"""
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import torch

from ..pipelines.base import Pipeline
from ..pipelines.classification import TextClassificationPipeline
from ..pipelines.features import FeatureExtractionPipeline
from ..pipelines.generation import TextGenerationPipeline
from ..decoding import beam_search
from .bert import load_bert
from ..runtime import check_int
from .bert import load_bert_classifier
from .clip import load_clip
from .files import checkpoint_folder, load_preprocessor, read_config
from .gpt2 import load_gpt2
from .marian import load_marian
from .media import ImageClassificationPipeline, SpeechRecognitionPipeline, ZeroShotImageClassificationPipeline
from .vit import load_vit
from .whisper import load_whisper

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


class CheckpointTranslationPipeline(Pipeline):
    """A sentence -> [{"translation_text"}], by a MarianMT checkpoint in utils.Transformer.

    The checkpoint's own tokenizer (SentencePiece) cuts the text; greedy decoding (num_beams=1, with
    the checkpoint's start, end and banned tokens) or the course's beam search writes the translation;
    max_length caps its length, the start token included, as in transformers (default: the checkpoint's).
    """

    task = "translation"
    parameters = {"num_beams": 1, "max_length": None}
    default_batch_size = 8

    def validate(self, params: dict[str, Any]) -> None:
        for name in ("num_beams", "max_length"):
            value = params[name]
            check_int(name, value, allow_none=name != "num_beams")

    def preprocess(self, batch: list[str], **params: Any) -> torch.Tensor:
        return self.tokenizer(batch, padding=True, truncation=True, return_tensors="pt").input_ids.to(self.device)

    def _forward(self, src, num_beams=1, max_length=None, **params):
        settings = {**self.model.generation, **({"max_len": max_length - 1} if max_length else {})}
        if num_beams == 1:
            return self.model.greedy_decode(src, **settings)
        return beam_search(self.model, src, settings["bos_id"], settings["eos_id"], settings["max_len"], num_beams)

    def postprocess(self, ids: torch.Tensor, **params: Any) -> list[list[dict[str, str]]]:
        return [[{"translation_text": text}] for text in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]

    def format_list(self, results: list[list[dict[str, str]]]) -> list[dict[str, str]]:
        return [r[0] for r in results]  # a list of sentences -> one dict per sentence


def _classifier(folder, device):
    model, tokenizer = load_bert_classifier(folder, device)
    # The Pipeline reads ids with the `tokenizers` API (encode_batch), as for MiniLM.
    return model, tokenizer.backend_tokenizer


def _encoder(folder, device):
    return load_bert(folder, device)  # the course's BertEncoder and the checkpoint's tokenizer.json


class TextTokenizer:
    """A checkpoint's tokenizer as the text-generation pipeline reads it: encode(text) -> ids,
    decode(ids) -> text without special tokens (as transformers' pipeline writes it), eos_token_id."""

    def __init__(self, tokenizer: "PreTrainedTokenizerBase"):
        self.tokenizer, self.eos_token_id = tokenizer, tokenizer.eos_token_id

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text)

    def decode(self, ids: Union[Sequence[int], torch.Tensor]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)


def _generator(folder, device):
    model, tokenizer = load_gpt2(folder, device)
    return model, TextTokenizer(tokenizer)


def _translator(folder, device):
    return load_marian(folder, device)


def _image_classifier(folder, device):
    return load_vit(folder, device)[0], {"image_processor": load_preprocessor(folder, "image")}


def _zero_shot(folder, device):
    return load_clip(folder, device)[0], {"image_processor": load_preprocessor(folder, "image"),
                                          "tokenizer": load_preprocessor(folder)}


def _speech(folder, device):
    return load_whisper(folder, device)[0], {"feature_extractor": load_preprocessor(folder, "audio"),
                                             "tokenizer": load_preprocessor(folder)}


# task -> {model_type: (builder(folder, device) -> (model, tokenizer), Pipeline class)}
CHECKPOINT_TASKS = {
    "sentiment-analysis": {"bert": (_classifier, TextClassificationPipeline),
                           "distilbert": (_classifier, TextClassificationPipeline)},
    "feature-extraction": {"bert": (_encoder, FeatureExtractionPipeline)},
    "text-generation": {"gpt2": (_generator, TextGenerationPipeline)},
    "translation": {"marian": (_translator, CheckpointTranslationPipeline)},  # also translation_xx_to_yy
    "image-classification": {"vit": (_image_classifier, ImageClassificationPipeline)},
    "zero-shot-image-classification": {"clip": (_zero_shot, ZeroShotImageClassificationPipeline)},
    "automatic-speech-recognition": {"whisper": (_speech, SpeechRecognitionPipeline)},
}


def checkpoint_pipeline(task: str, model: Union[str, os.PathLike], device: Optional[Union[str, torch.device]],
                        batch_size: Optional[int] = None, download: Optional[bool] = None, **kwargs: Any) -> Pipeline:
    """The Pipeline for `task` around the checkpoint `model` (a folder or a Hugging Face name)."""
    if task.startswith("translation"):  # translation_en_to_fr: the checkpoint knows its languages
        task = "translation"
    if task not in CHECKPOINT_TASKS:
        raise ValueError(f"task {task!r} cannot run a checkpoint; tasks that can: "
                         f"{', '.join(sorted(CHECKPOINT_TASKS))}")
    folder = checkpoint_folder(model, download)
    model_type = read_config(folder).get("model_type")
    families = CHECKPOINT_TASKS[task]
    if model_type not in families:
        raise ValueError(f"{task!r} runs {', '.join(sorted(families))} checkpoints; {model} is {model_type!r}")
    build, pipeline_class = families[model_type]
    loaded, tokenizer = build(folder, device)
    return pipeline_class(loaded, tokenizer, device=device, batch_size=batch_size, model_name=str(model),
                          info={"checkpoint": str(folder), "model_type": model_type}, **kwargs)
