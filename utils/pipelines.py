"""``utils.pipeline``: Hugging Face's ``transformers.pipeline``, offline, over models the course built.

Online, a learner writes

    from transformers import pipeline
    classifier = pipeline("sentiment-analysis")
    classifier("The new phone is awesome!")        # [{'label': 'POSITIVE', 'score': 0.99...}]

and the library downloads a model. Here the same code runs with ``from utils import pipeline``, on
models that the course made and that the learner has built piece by piece (see utils.hub):

    task                    model behind it                                  returns, per input
    "sentiment-analysis"    MiniLM + a linear head on generated reviews      {"label", "score"}
    "text-generation"       lesson 05's GPT on Python's help pages           [{"generated_text"}]
    "translation_fr_to_en"  lesson 04's Transformer                          [{"translation_text"}]
    "summarization"         extractive: MiniLM sentence-embedding centrality [{"summary_text"}]
    "feature-extraction"    MiniLM's token vectors                           (1, tokens, 384) nested lists

The call conventions are Hugging Face's: a str in gives that task's output for one input (a list of
dicts for the text tasks); a list in gives a list with one entry per input; ``batch_size`` groups
inputs into padded batches; generation options keep their Hugging Face names (max_new_tokens,
do_sample, top_k, num_return_sequences, num_beams, ...). An unknown task, model or argument raises a
ValueError that lists what is available.

Every pipeline runs in three stages, as in Hugging Face: ``preprocess`` (text -> padded tensors),
``_forward`` (the model), ``postprocess`` (tensors -> Python results). ``register_task`` adds a new
task built the same way.
"""
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from . import hub
from .batching import length_sorted_batches, pad_batch, padding_fraction  # noqa: F401  (lesson 06 reads them here)
from .runtime import as_device, check_int, check_number, eval_mode

# --------------------------------------------------------------------------------------------------
# The pieces every pipeline shares (lesson 06 has the learner write each of them)
# --------------------------------------------------------------------------------------------------


def postprocess_logits(logits, id2label, top_k=1, function_to_apply="softmax"):
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


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text):
    """A text -> its sentences: cut after ., ! or ? followed by spaces and a capital letter or digit."""
    if not isinstance(text, str):
        raise ValueError(f"expected a str, got {type(text).__name__}")
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def centrality_scores(embeddings):
    """Sentence embeddings (n, d) -> (n,): each sentence's mean cosine similarity to the *other* ones.

    A sentence that resembles many others states what the text keeps coming back to: it is
    *central* (degree centrality, the simplest form of LexRank). With one sentence, its score is 0.
    """
    if embeddings.dim() != 2 or embeddings.size(0) == 0:
        raise ValueError(f"embeddings must have shape (n_sentences >= 1, d), got {tuple(embeddings.shape)}")
    unit = F.normalize(embeddings.float(), dim=-1)
    similarity = unit @ unit.T  # (n, n) cosine similarities, 1 on the diagonal
    n = similarity.size(0)
    if n == 1:
        return torch.zeros(1)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def select_sentences(sentences, scores, num_sentences=None, max_length=None, min_length=0):
    """Indices of the sentences an extractive summary keeps, in their original order.

    Walk the sentences from the highest score down and keep each one, until num_sentences are kept
    or the next one would take the summary past max_length words. While the summary is shorter
    than min_length words, max_length does not stop it. The best sentence is always kept.
    """
    if len(sentences) != len(scores):
        raise ValueError(f"got {len(sentences)} sentences but {len(scores)} scores")
    scores = torch.as_tensor(scores, dtype=torch.float).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])  # stable: ties in text order
    kept, words = [], 0
    for i in ranked:
        if num_sentences is not None and len(kept) >= num_sentences:
            break
        n_words = len(sentences[i].split())
        too_long = max_length is not None and words + n_words > max_length
        if kept and too_long and words >= min_length:
            break
        kept.append(i)
        words += n_words
    return sorted(kept)


# --------------------------------------------------------------------------------------------------
# The pipeline machinery
# --------------------------------------------------------------------------------------------------


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

    def __init__(self, model, tokenizer=None, device=None, batch_size=None, model_name=None, info=None, **defaults):
        self.model = model
        self.tokenizer = tokenizer
        self.device = as_device(device) if device is not None else _model_device(model)
        self.batch_size = self._check_batch_size(self.default_batch_size if batch_size is None else batch_size)
        self.model_name = model_name
        self.info = dict(info or {})
        self.defaults = self._check_parameters(defaults)  # pipeline(task, top_k=2): a default for every call

    # --- what a subclass may override ---------------------------------------------------------

    def check_input(self, item):
        """Raise a ValueError if `item` is not one valid input (by default: a non-empty str)."""
        if not isinstance(item, str):
            raise ValueError(f"the {self.task} pipeline takes a str or a list of str, got {type(item).__name__}")
        if not item.strip():
            raise ValueError(f"the {self.task} pipeline got an empty text")

    def input_length(self, item):
        """A cheap estimate of an input's length, to batch similar lengths together."""
        return len(item.split())

    def validate(self, params):
        """Check the values of the call arguments (their names are already checked)."""

    def preprocess(self, batch, **params):
        raise NotImplementedError

    def _forward(self, model_inputs, **params):
        raise NotImplementedError

    def postprocess(self, model_outputs, **params):
        raise NotImplementedError

    def format_single(self, result):
        """What a call with one str returns, given that input's result (Hugging Face's conventions)."""
        return result

    def format_list(self, results):
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

    def __call__(self, inputs, batch_size=None, **kwargs):
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


def _unpadded_ids(tokenizer, texts):
    """MiniLM's tokenizer pads each batch itself; take its ids without the padding, as lists."""
    encodings = tokenizer.encode_batch(list(texts))
    return [e.ids[:sum(e.attention_mask)] for e in encodings]


# --------------------------------------------------------------------------------------------------
# The five tasks
# --------------------------------------------------------------------------------------------------


class TextClassificationPipeline(Pipeline):
    """A text -> {"label", "score"}: a SentenceClassifier's logits, softmaxed (see postprocess_logits)."""

    task = "sentiment-analysis"
    parameters = {"top_k": 1, "function_to_apply": "softmax"}

    def preprocess(self, batch, **params):
        input_ids, attention_mask = pad_batch(_unpadded_ids(self.tokenizer, batch))
        return input_ids.to(self.device), attention_mask.to(self.device)

    def _forward(self, model_inputs, **params):
        return self.model(*model_inputs)  # logits (B, num_labels)

    def postprocess(self, logits, top_k=1, function_to_apply="softmax", **params):
        return postprocess_logits(logits.cpu(), self.model.id2label, top_k, function_to_apply)

    def format_single(self, result):
        return [result] if isinstance(result, dict) else result  # HF: one str -> [{"label", "score"}]


class FeatureExtractionPipeline(Pipeline):
    """A text -> its token vectors (1, tokens, d): nested lists of floats, or a tensor with return_tensors.

    Like Hugging Face's, the features are the encoder's last hidden states, one per token ([CLS]
    and [SEP] included, padding removed), not one vector per sentence: mean-pool them (and
    normalise) to get MiniLM's sentence embedding.
    """

    task = "feature-extraction"
    parameters = {"return_tensors": False}

    def preprocess(self, batch, **params):
        ids = _unpadded_ids(self.tokenizer, batch)
        input_ids, attention_mask = pad_batch(ids)
        return input_ids.to(self.device), attention_mask.to(self.device), [len(i) for i in ids]

    def _forward(self, model_inputs, **params):
        input_ids, attention_mask, lengths = model_inputs
        return self.model(input_ids, attention_mask), lengths  # (B, L, d)

    def postprocess(self, model_outputs, return_tensors=False, **params):
        hidden, lengths = model_outputs
        per_text = [hidden[i:i + 1, :n].cpu() for i, n in enumerate(lengths)]  # (1, n_tokens, d) each
        return per_text if return_tensors else [t.tolist() for t in per_text]


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

    def validate(self, params):
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

    def preprocess(self, batch, **params):
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

    def postprocess(self, model_outputs, return_full_text=True, **params):
        outputs, prompts = model_outputs
        results = []
        for (prompt_len, out), prompt in zip(outputs, prompts):
            texts = []
            for row in out:
                continuation = self.tokenizer.decode(row[prompt_len:])
                texts.append({"generated_text": prompt + continuation if return_full_text else continuation})
            results.append(texts)
        return results


class TranslationPipeline(Pipeline):
    """A French sentence -> [{"translation_text"}], by lesson 04's Transformer.

    The translator knows the words of its grammar (utils.data) and nothing else: no capitals, no
    punctuation. The pipeline lowercases the input and sets a final . ! or ? aside, then gives the
    English its capital and that punctuation back. num_beams=1 is greedy decoding, more is beam search.
    """

    task = "translation_fr_to_en"
    parameters = {"num_beams": 1, "max_length": None}
    default_batch_size = 32

    def validate(self, params):
        n = params["num_beams"]
        check_int("num_beams", n)
        check_int("max_length", params["max_length"], allow_none=True)

    def preprocess(self, batch, **params):
        cleaned, endings = [], []
        for text in batch:
            text = text.strip()
            ending = text[-1] if text[-1] in ".!?" else ""
            cleaned.append(text.rstrip(".!?").strip().lower())
            endings.append(ending)
        return cleaned, endings

    def _forward(self, model_inputs, num_beams=1, max_length=None, **params):
        from .decoding import translate

        sentences, endings = model_inputs
        src_vocab, tgt_vocab = self.tokenizer
        method = "greedy" if num_beams == 1 else "beam"
        english = translate(self.model, sentences, src_vocab, tgt_vocab, method, beam_size=num_beams,
                            max_len=max_length)
        return english, endings

    def postprocess(self, model_outputs, **params):
        english, endings = model_outputs
        return [[{"translation_text": (e[:1].upper() + e[1:]) + end}] for e, end in zip(english, endings)]

    def check_input(self, item):
        super().check_input(item)
        if not item.strip().rstrip(".!?").strip():
            raise ValueError(f"nothing to translate in {item!r}")

    def format_list(self, results):
        return [r[0] for r in results]  # HF: a list of sentences -> one dict per sentence


class SummarizationPipeline(Pipeline):
    """A text -> [{"summary_text"}]: its most *central* sentences, in their original order.

    Extractive: every sentence is embedded with MiniLM; a sentence's centrality is its mean cosine
    similarity to the other sentences (centrality_scores); the summary keeps the best ones
    (select_sentences). Lengths are counted in words (Hugging Face counts tokens): max_length
    (default 60) and min_length (default 0), or num_sentences. Nothing is sampled, so do_sample
    may only be False. An abstractive model (BART, T5) would instead *write* a new text with a
    decoder, word by word; this one can only quote.
    """

    task = "summarization"
    parameters = {"max_length": 60, "min_length": 0, "num_sentences": None, "do_sample": False}
    default_batch_size = 1

    def validate(self, params):
        if params["do_sample"]:
            raise ValueError("extractive summarization quotes sentences and samples nothing: do_sample must be False")
        for name in ("max_length", "num_sentences"):
            value = params[name]
            check_int(name, value, allow_none=True)
        low = params["min_length"]
        check_int("min_length", low, minimum=0)
        if params["max_length"] is not None and low > params["max_length"]:
            raise ValueError(f"min_length ({low}) is larger than max_length ({params['max_length']})")

    def input_length(self, item):
        return len(item.split())

    def preprocess(self, batch, **params):
        return [split_sentences(text) for text in batch]

    def _forward(self, documents, **params):
        return [(sentences, centrality_scores(self.model.encode(sentences))) for sentences in documents]

    def postprocess(self, model_outputs, max_length=60, min_length=0, num_sentences=None, **params):
        results = []
        for sentences, scores in model_outputs:
            kept = select_sentences(sentences, scores, num_sentences, max_length, min_length)
            results.append([{"summary_text": " ".join(sentences[i] for i in kept)}])
        return results

    def format_list(self, results):
        return [r[0] for r in results]  # HF: a list of texts -> one dict per text


# --------------------------------------------------------------------------------------------------
# The registry and pipeline()
# --------------------------------------------------------------------------------------------------


@dataclass
class Task:
    """A task the registry knows: the Pipeline class that runs it and the hub models it may use."""

    name: str
    pipeline_class: type
    default_model: str
    models: tuple
    description: str = ""


TASKS = {}
# Hugging Face's other names for the same tasks.
TASK_ALIASES = {"text-classification": "sentiment-analysis"}


def register_task(name, pipeline_class, default_model, models=None, description="", overwrite=False):
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
    from .checkpoints.tasks import checkpoint_pipeline

    try:
        return checkpoint_pipeline(name, model, as_device(device), batch_size, **kwargs)
    except FileNotFoundError as err:
        offline = f"; offline models: {', '.join(TASKS[name].models)}" if name in TASKS else ""
        raise ValueError(f"{name!r} has no model {model!r}: {err}{offline}") from err


def available_tasks():
    """The names utils.pipeline accepts, aliases included, sorted."""
    return sorted(set(TASKS) | set(TASK_ALIASES))


def pipeline(task, model=None, device=None, batch_size=None, **kwargs):
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
        from .checkpoints.tasks import CHECKPOINT_TASKS

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
