"""The tested Transformer library that every lesson of the course imports.

Each lesson lets the learner build a piece by hand, checks it, then uses the version here.
"""
# The marker that tells this library from any other module named `utils` (course_setup.py checks it).
__course__ = "transformers-from-first-principles"

from .alignment import aligned_words, alignment, alignment_accuracy, cross_attention_weights, decoder_attention_weights
from .attention import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from .batching import pad_batch
from .checkpoints import (CheckpointError, load_bert_classifier, load_clip, load_gpt2, load_marian, load_vit,
                          load_whisper)
from .clip import CLIP, clip_loss, zero_shot_predict
from .data.french import Vocab, make_translation_corpus, seq2seq_loss, translation_batches, word_translations
from .decoding import beam_search, sequence_log_prob, translate
from .runtime import configure_threads, default_threads, get_device, seed_everything, usable_cpus
from .layers import Decoder, DecoderLayer, Encoder, EncoderLayer, FeedForward
from .bpe import ByteBPE
from .corpus import stdlib_corpus
from .modern import (GroupedQueryAttention, ModernBlock, ModernGPT, RMSNorm, SwiGLU, apply_rope, build_gpt,
                     kv_cache_bytes_per_token)
from .modern_lm import load_modern_gpt
from .attention import KVCache
from .bert import MaskedLM
from .checkpoints.bert import load_minilm
from .gpt import GPT
from .sampling import next_token_probs, top_p_filter
from .transformer import TokenEmbedding, Transformer
from .pipelines import available_tasks, pipeline, register_task
from .positional import PositionalEncoding, sinusoidal_positional_encoding
from .text import get_batch, load_text_corpus, mask_tokens
from .training import History, accuracy, evaluate, train, warmup_cosine
from .translator import Translator, exact_match, load_translator, train_translator
from .vit import PatchEmbedding, ViT, add_cls_and_positions, patchify
from .spectrogram import LogMelSpectrogram, frame_signal, log_mel_spectrogram
from .whisper import SpeechToText, character_error_rate

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

# --- added by models ---
# Every name lessons 01-04, 07 and 08 use, so that they read `utils.<name>` only.
from .training import tqdm  # noqa: E402  (01: the progress bar train uses)
from .recurrent import input_gradient_norms, make_recall_batch, rnn_unroll  # noqa: E402  (01)
from .data.french import encode_pairs, grammar_size  # noqa: E402  (04)
from .attention import LayerKVCache, capture_attention  # noqa: E402  (05, 07)
from .data.digits import (CAPTION_TEMPLATES, DIGIT_NAMES, caption_digits, load_digit_images,  # noqa: E402  (07)
                          random_shift)
from .data.speech import DTMF_HIGH, DTMF_LOW, SAMPLE_RATE, make_digit_clips, synthesize_digits  # noqa: E402  (07)
from .spectrogram import mel_filterbank, power_spectrogram  # noqa: E402  (07)
from .tokenization import CharVocab, WordTokenizer  # noqa: E402  (07)
from .whisper import transcript_loss  # noqa: E402  (07)
from .bpe import chunks  # noqa: E402  (08)
from .modern_lm import held_out_loss, modern_gpt_data  # noqa: E402  (08)
from .text import lm_batches, lm_loss, unigram_cross_entropy  # noqa: E402  (05, 08)

# Plots and widgets pull in matplotlib and ipywidgets (~0.75 s): loaded on first use only.
_LAZY = {"plot_attention": "plots", "plot_attention_heads": "plots", "plot_losses": "plots",
         "interactive_figure": "widgets"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ += [
    "tqdm", "input_gradient_norms", "make_recall_batch", "rnn_unroll", "encode_pairs", "grammar_size",
    "LayerKVCache", "capture_attention", "CAPTION_TEMPLATES", "DIGIT_NAMES", "caption_digits", "load_digit_images",
    "random_shift", "DTMF_HIGH", "DTMF_LOW", "SAMPLE_RATE", "make_digit_clips", "synthesize_digits",
    "mel_filterbank", "power_spectrogram", "CharVocab", "WordTokenizer", "transcript_loss", "chunks",
    "held_out_loss", "modern_gpt_data", "lm_batches", "lm_loss", "unigram_cross_entropy", *_LAZY,
]
