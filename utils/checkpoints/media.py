"""Image and audio pipelines (Hugging Face's call conventions) over checkpoints in the course's models.

Pipelines for images and audio (Hugging Face's call conventions) over checkpoints in the course's
ViT, CLIP and Whisper: "image-classification", "zero-shot-image-classification",
"automatic-speech-recognition". Inputs go through the checkpoint's own image processor, tokenizer or
feature extractor (transformers' preprocessing); the course's model does the rest.
"""
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import torch

from ..pipelines.base import Pipeline, postprocess_logits

if TYPE_CHECKING:
    from PIL.Image import Image

# What the image pipelines take: a PIL image or a path to one; the speech pipeline: a 1-D waveform, or
# {"raw": waveform, "sampling_rate": rate}.
ImageInput = Union[str, "Image"]
AudioInput = Union[np.ndarray, torch.Tensor, dict[str, Any]]


def _open_image(item):
    """A PIL image, or a path to one -> an RGB PIL image."""
    from PIL import Image

    if isinstance(item, str):
        item = Image.open(item)
    return item.convert("RGB")


class _ImagePipeline(Pipeline):
    default_batch_size = 4

    def check_input(self, item: Any) -> None:
        from PIL import Image

        if not isinstance(item, (str, Image.Image)):
            raise ValueError(f"the {self.task} pipeline takes a PIL image or a path to one (or a list of them), "
                             f"got {type(item).__name__}")

    def input_length(self, item: ImageInput) -> int:
        return 1  # every image is resized to the same size: no padding to save

    def pixels(self, batch: list[ImageInput]) -> torch.Tensor:
        processor = self.tokenizer["image_processor"]
        return processor(images=[_open_image(x) for x in batch], return_tensors="pt").pixel_values.to(self.device)


class ImageClassificationPipeline(_ImagePipeline):
    """An image -> its top_k (5) labels, [{"label", "score"}, ...], best first, by a ViT checkpoint."""

    task = "image-classification"
    parameters = {"top_k": 5, "function_to_apply": "softmax"}

    def preprocess(self, batch: list[ImageInput], **params: Any) -> torch.Tensor:
        return self.pixels(batch)

    def _forward(self, pixels, **params):
        return self.model(pixels)  # (B, num_labels)

    def postprocess(self, logits: torch.Tensor, top_k: Optional[int] = 5, function_to_apply: str = "softmax",
                    **params: Any) -> list[list[dict]]:
        results = postprocess_logits(logits.cpu(), self.model.id2label, top_k, function_to_apply)
        return [r if isinstance(r, list) else [r] for r in results]  # always a list per image, as in HF


class ZeroShotImageClassificationPipeline(_ImagePipeline):
    """An image and candidate_labels -> [{"score", "label"}, ...], best first, by a CLIP checkpoint: each label
    becomes the caption hypothesis_template.format(label), and the softmax of the image's similarities to
    the captions (over the labels) gives the scores."""

    task = "zero-shot-image-classification"
    parameters = {"candidate_labels": None, "hypothesis_template": "This is a photo of {}."}

    def validate(self, params: dict[str, Any]) -> None:
        labels = params["candidate_labels"]
        if not labels or isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"candidate_labels must be a list of str, got {labels!r}")

    def preprocess(self, batch: list[ImageInput], candidate_labels: Optional[Sequence[str]] = None,
                   hypothesis_template: str = "", **params: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        captions = [hypothesis_template.format(label) for label in candidate_labels]
        text = self.tokenizer["tokenizer"](captions, padding=True, return_tensors="pt")
        return self.pixels(batch), text.input_ids.to(self.device), text.attention_mask.to(self.device)

    def _forward(self, model_inputs, **params):
        return self.model(*model_inputs)  # (B images, K labels): cosine similarities / temperature

    def postprocess(self, logits: torch.Tensor, candidate_labels: Optional[Sequence[str]] = None,
                    **params: Any) -> list[list[dict[str, Union[float, str]]]]:
        results = []
        for probs in logits.softmax(dim=-1).cpu().tolist():
            ranked = sorted(zip(probs, candidate_labels), key=lambda pair: -pair[0])  # stable for ties
            results.append([{"score": score, "label": label} for score, label in ranked])
        return results


class SpeechRecognitionPipeline(Pipeline):
    """A waveform (a 1-D float array at the feature extractor's sampling rate, or {"raw", "sampling_rate"})
    -> {"text"}, by a Whisper checkpoint: greedy decoding from the checkpoint's start tokens."""

    task = "automatic-speech-recognition"
    parameters = {"max_new_tokens": None}
    default_batch_size = 4

    def check_input(self, item: Any) -> None:
        raw = item.get("raw") if isinstance(item, dict) else item
        if not isinstance(raw, (np.ndarray, torch.Tensor)) or raw.ndim != 1:
            raise ValueError("the automatic-speech-recognition pipeline takes a 1-D waveform (numpy array or tensor) "
                             f"or {{'raw': waveform, 'sampling_rate': rate}}, got {type(item).__name__}")

    def input_length(self, item: AudioInput) -> int:
        return len(item["raw"] if isinstance(item, dict) else item)

    def preprocess(self, batch: list[AudioInput], **params: Any) -> torch.Tensor:
        extractor = self.tokenizer["feature_extractor"]
        rate = extractor.sampling_rate
        waves = []
        for item in batch:
            raw, sr = (item["raw"], item.get("sampling_rate", rate)) if isinstance(item, dict) else (item, rate)
            if sr != rate:
                raise ValueError(f"the audio must be sampled at {rate} Hz (the checkpoint's rate), got {sr} Hz")
            waves.append(np.asarray(raw, dtype=np.float32))
        features = extractor(waves, sampling_rate=rate, return_tensors="pt").input_features  # (B, n_mels, frames)
        return features.transpose(1, 2).to(self.device)  # (B, frames, n_mels), the course's layout

    def _forward(self, mels, max_new_tokens=None, **params):
        settings = dict(self.model.generation)
        prefix = torch.tensor([settings.pop("prefix")], device=self.device).expand(mels.size(0), -1)
        if max_new_tokens is not None:
            settings["max_new_tokens"] = max_new_tokens
        return self.model.generate(mels, prefix, **settings)

    def postprocess(self, ids: torch.Tensor, **params: Any) -> list[dict[str, str]]:
        return [{"text": text} for text in self.tokenizer["tokenizer"].batch_decode(ids, skip_special_tokens=True)]
