"""The sentiment-analysis task: a text -> {"label", "score"} from a SentenceClassifier's logits."""
from ..batching import pad_batch
from .base import Pipeline, postprocess_logits, unpadded_ids


class TextClassificationPipeline(Pipeline):
    """A text -> {"label", "score"}: a SentenceClassifier's logits, softmaxed (see postprocess_logits)."""

    task = "sentiment-analysis"
    parameters = {"top_k": 1, "function_to_apply": "softmax"}

    def preprocess(self, batch, **params):
        input_ids, attention_mask = pad_batch(unpadded_ids(self.tokenizer, batch))
        return input_ids.to(self.device), attention_mask.to(self.device)

    def _forward(self, model_inputs, **params):
        return self.model(*model_inputs)  # logits (B, num_labels)

    def postprocess(self, logits, top_k=1, function_to_apply="softmax", **params):
        return postprocess_logits(logits.cpu(), self.model.id2label, top_k, function_to_apply)

    def format_single(self, result):
        return [result] if isinstance(result, dict) else result  # HF: one str -> [{"label", "score"}]
