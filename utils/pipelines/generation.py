"""The text-generation task: a prompt -> continuations written by a GPT (greedy or sampled)."""
from typing import Any

import torch

from ..runtime import check_int, check_number
from .base import Pipeline


class TextGenerationPipeline(Pipeline):
    """A prompt -> [{"generated_text"}], num_return_sequences of them, written by a GPT.

    Options as in Hugging Face: max_new_tokens (default 30) or max_length (counting the prompt's tokens),
    do_sample (False: greedy), temperature and top_k for sampling, num_return_sequences,
    return_full_text (False: only the continuation). Sampling draws from PyTorch's global random
    generator, so utils.seed_everything makes it repeatable. Each prompt is its own batch (of
    num_return_sequences rows): prompts of different lengths would need left padding and a mask.
    """

    task = "text-generation"
    parameters = {"max_new_tokens": None, "max_length": None, "do_sample": True, "temperature": 1.0,
                  "top_k": 50, "num_return_sequences": 1, "return_full_text": True}
    default_batch_size = 1
    DEFAULT_NEW_TOKENS = 30  # when neither max_new_tokens nor max_length is given

    def validate(self, params: dict[str, Any]) -> None:
        if params["max_new_tokens"] is not None and params["max_length"] is not None:
            raise ValueError("give max_new_tokens or max_length, not both")
        for name in ("max_new_tokens", "max_length"):
            check_int(name, params[name], minimum=0, allow_none=True)
        n = params["num_return_sequences"]
        check_int("num_return_sequences", n)
        if not params["do_sample"] and n > 1:
            raise ValueError("greedy decoding (do_sample=False) gives one text per prompt: "
                             "set do_sample=True to get num_return_sequences > 1")
        t = params["temperature"]
        check_number("temperature", t)  # do_sample=False is greedy
        k = params["top_k"]
        check_int("top_k", k, allow_none=True)

    def preprocess(self, batch: list[str], **params: Any) -> tuple[list[torch.Tensor], list[str]]:
        return [torch.tensor([self.tokenizer.encode(prompt)], device=self.device) for prompt in batch], batch

    def _forward(self, model_inputs, max_new_tokens=None, max_length=None, do_sample=True, temperature=1.0,
                 top_k=50, num_return_sequences=1, **params):
        prompts_ids, prompts = model_inputs
        outputs = []
        for ids in prompts_ids:  # (1, T)
            if max_length is not None:
                new_tokens = max(0, max_length - ids.size(1))
            else:
                new_tokens = self.DEFAULT_NEW_TOKENS if max_new_tokens is None else max_new_tokens
            rows = ids.expand(num_return_sequences, -1)  # (n, T): n samples of the same prompt
            out = self.model.generate(rows, new_tokens, temperature=temperature if do_sample else 0,
                                      top_k=top_k if do_sample else None,
                                      eos_id=getattr(self.tokenizer, "eos_token_id", None))  # a checkpoint's
            outputs.append((ids.size(1), out.cpu()))
        return outputs, prompts

    def postprocess(self, model_outputs: tuple[list[tuple[int, torch.Tensor]], list[str]],
                    return_full_text: bool = True, **params: Any) -> list[list[dict[str, str]]]:
        outputs, prompts = model_outputs
        results = []
        for (prompt_len, out), prompt in zip(outputs, prompts):
            texts = []
            for row in out:
                continuation = self.tokenizer.decode(row[prompt_len:])
                texts.append({"generated_text": prompt + continuation if return_full_text else continuation})
            results.append(texts)
        return results
