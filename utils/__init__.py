"""The tested Transformer library that every lesson of the course imports.

Each lesson lets the learner build a piece by hand, checks it, then uses the version here.
"""
# The marker that tells this library from any other module named `utils` (course_setup.py checks it).
__course__ = "transformers-from-first-principles"

from .alignment import aligned_words, alignment, alignment_accuracy, cross_attention_weights, decoder_attention_weights
from .attention import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from .batching import pad_batch
from .audio import LogMelSpectrogram, SpeechToText, character_error_rate, frame_signal, log_mel_spectrogram
from .checkpoints import (CheckpointError, load_bert_classifier, load_clip, load_gpt2, load_marian, load_vit,
                          load_whisper)
from .contrastive import CLIP, clip_loss, zero_shot_predict
from .data import make_translation_corpus, translation_batches, word_translations
from .decoding import beam_search, sequence_log_prob, translate
from .runtime import configure_threads, default_threads, get_device, seed_everything, usable_cpus
from .layers import Decoder, DecoderLayer, Encoder, EncoderLayer, FeedForward
from .bpe import ByteBPE
from .data import stdlib_corpus
from .modern import (GroupedQueryAttention, ModernBlock, ModernGPT, RMSNorm, SwiGLU, apply_rope, build_gpt,
                     kv_cache_bytes_per_token, top_p_filter)
from .modern_lm import load_modern_gpt
from .models import GPT, KVCache, MaskedLM, TokenEmbedding, Transformer, next_token_probs
from .pipelines import available_tasks, pipeline, register_task
from .positional import PositionalEncoding, sinusoidal_positional_encoding
from .pretrained import load_minilm
from .batching import get_batch, mask_tokens
from .data import load_text_corpus
from .losses import seq2seq_loss
from .tokenization import Vocab
from .training import History, accuracy, evaluate, train, warmup_cosine
from .translator import Translator, exact_match, load_translator, train_translator
from .vision import PatchEmbedding, ViT, add_cls_and_positions, patchify

__all__ = [
    "scaled_dot_product_attention", "causal_mask", "padding_mask", "MultiHeadAttention",
    "sinusoidal_positional_encoding", "PositionalEncoding",
    "FeedForward", "EncoderLayer", "DecoderLayer", "Encoder", "Decoder",
    "TokenEmbedding", "Transformer", "GPT", "MaskedLM", "KVCache", "next_token_probs",
    "load_text_corpus", "get_batch", "mask_tokens",
    "get_device", "seed_everything", "configure_threads", "default_threads", "usable_cpus",
    "train", "evaluate", "accuracy", "History", "warmup_cosine",
    "load_minilm",
    "Vocab", "pad_batch", "make_translation_corpus", "translation_batches", "seq2seq_loss", "word_translations",
    "beam_search", "sequence_log_prob", "translate",
    "Translator", "train_translator", "load_translator", "exact_match",
    "cross_attention_weights", "decoder_attention_weights", "alignment", "aligned_words", "alignment_accuracy",
    "pipeline", "register_task", "available_tasks",
    "patchify", "add_cls_and_positions", "PatchEmbedding", "ViT", "clip_loss", "zero_shot_predict", "CLIP",
    "frame_signal", "log_mel_spectrogram", "LogMelSpectrogram", "SpeechToText", "character_error_rate",
    "RMSNorm", "SwiGLU", "apply_rope", "GroupedQueryAttention", "kv_cache_bytes_per_token", "ModernBlock",
    "ModernGPT", "build_gpt", "top_p_filter", "ByteBPE", "stdlib_corpus", "load_modern_gpt",
    "load_gpt2", "load_bert_classifier", "load_marian", "load_vit", "load_clip", "load_whisper", "CheckpointError",
]

from . import checks  # noqa: E402  (the exercises' checks: utils.checks.check("test_...", globals()))

# --- added by datahub ---
# Lesson 05: language-model batches, masking and losses (were utils.text.X).
from .batching import IGNORE_INDEX, blocks_at, lm_batches, mlm_batches  # noqa: E402
from .losses import evaluate_lm, lm_loss, mlm_loss, perplexity, unigram_cross_entropy  # noqa: E402
from .tokenization import BPETokenizer, CharTokenizer  # noqa: E402
# Lesson 06: the library twins of its exercises and the pieces of its demos (were utils.pipelines.X, utils.hub.X).
from .batching import length_sorted_batches, padding_fraction  # noqa: E402
from .data import make_reviews  # noqa: E402
from .hub import mean_pool, shared_minilm  # noqa: E402
from .pipelines import Pipeline, centrality_scores, postprocess_logits, select_sentences, split_sentences  # noqa: E402
# Lesson 08: its data, tokenizer pieces and held-out loss (were utils.bpe.X, utils.modern_lm.X).
from .bpe import chunks  # noqa: E402
from .modern_lm import held_out_loss, modern_gpt_data  # noqa: E402
# Every lesson: figures. utils.figures pulls in matplotlib and ipywidgets (~0.75 s), so it loads on first use only.
_LAZY = {"plot_attention": "figures", "plot_attention_heads": "figures", "plot_losses": "figures",
         "interactive_figure": "figures"}


def __getattr__(name):
    if name in _LAZY:
        import importlib  # only here: a lazy attribute of the package (PEP 562)
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ += [
    "IGNORE_INDEX", "blocks_at", "lm_batches", "mlm_batches", "evaluate_lm", "lm_loss", "mlm_loss", "perplexity",
    "unigram_cross_entropy", "BPETokenizer", "CharTokenizer",
    "length_sorted_batches", "padding_fraction", "make_reviews", "mean_pool", "shared_minilm", "Pipeline",
    "centrality_scores", "postprocess_logits", "select_sentences", "split_sentences",
    "chunks", "held_out_loss", "modern_gpt_data", *_LAZY,
]
