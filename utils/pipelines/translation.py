"""The translation_fr_to_en task: a French sentence -> English, by lesson 04's Transformer."""
from typing import Any

from ..decoding import translate
from ..runtime import check_int
from .base import Pipeline


class TranslationPipeline(Pipeline):
    """A French sentence -> [{"translation_text"}], by lesson 04's Transformer.

    The translator knows the words of its grammar (utils.data) and nothing else: no capitals, no
    punctuation. The pipeline lowercases the input and sets a final . ! or ? aside, then gives the
    English its capital and that punctuation back. num_beams=1 is greedy decoding, more is beam search.
    """

    task = "translation_fr_to_en"
    parameters = {"num_beams": 1, "max_length": None}
    default_batch_size = 32

    def validate(self, params: dict[str, Any]) -> None:
        n = params["num_beams"]
        check_int("num_beams", n)
        check_int("max_length", params["max_length"], allow_none=True)

    def preprocess(self, batch: list[str], **params: Any) -> tuple[list[str], list[str]]:
        cleaned, endings = [], []
        for text in batch:
            text = text.strip()
            ending = text[-1] if text[-1] in ".!?" else ""
            cleaned.append(text.rstrip(".!?").strip().lower())
            endings.append(ending)
        return cleaned, endings

    def _forward(self, model_inputs, num_beams=1, max_length=None, **params):
        sentences, endings = model_inputs
        src_vocab, tgt_vocab = self.tokenizer
        method = "greedy" if num_beams == 1 else "beam"
        english = translate(self.model, sentences, src_vocab, tgt_vocab, method, beam_size=num_beams,
                            max_len=max_length)
        return english, endings

    def postprocess(self, model_outputs: tuple[list[str], list[str]], **params: Any) -> list[list[dict[str, str]]]:
        english, endings = model_outputs
        return [[{"translation_text": (e[:1].upper() + e[1:]) + end}] for e, end in zip(english, endings)]

    def check_input(self, item: Any) -> None:
        super().check_input(item)
        if not item.strip().rstrip(".!?").strip():
            raise ValueError(f"nothing to translate in {item!r}")

    def format_list(self, results: list[list[dict[str, str]]]) -> list[dict[str, str]]:
        return [r[0] for r in results]  # HF: a list of sentences -> one dict per sentence
