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

    base            the Pipeline base class and postprocess_logits
    classification, features, generation, translation, summarization   one module per built-in task
    registry        Task, register_task, pipeline, available_tasks and the built-in registrations
"""
from .base import Pipeline, postprocess_logits, unpadded_ids
from .classification import TextClassificationPipeline
from .features import FeatureExtractionPipeline
from .generation import TextGenerationPipeline
from .registry import TASK_ALIASES, TASKS, Task, available_tasks, pipeline, register_task
from .summarization import SummarizationPipeline, centrality_scores, select_sentences, split_sentences
from .translation import TranslationPipeline

__all__ = [
    "Pipeline", "postprocess_logits", "unpadded_ids",
    "TextClassificationPipeline", "FeatureExtractionPipeline", "TextGenerationPipeline", "TranslationPipeline",
    "SummarizationPipeline", "centrality_scores", "select_sentences", "split_sentences",
    "TASK_ALIASES", "TASKS", "Task", "available_tasks", "pipeline", "register_task",
]
