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
from .data.french import Vocab, make_translation_corpus, seq2seq_loss, translation_batches, word_translations
from .decoding import beam_search, sequence_log_prob, translate
from .runtime import configure_threads, default_threads, get_device, seed_everything, usable_cpus
from .layers import Decoder, DecoderLayer, Encoder, EncoderLayer, FeedForward
from .bpe import ByteBPE
from .corpus import stdlib_corpus
from .modern import (GroupedQueryAttention, ModernBlock, ModernGPT, RMSNorm, SwiGLU, apply_rope, build_gpt,
                     kv_cache_bytes_per_token, top_p_filter)
from .modern_lm import load_modern_gpt
from .models import GPT, KVCache, MaskedLM, TokenEmbedding, Transformer, next_token_probs
from .pipelines import available_tasks, pipeline, register_task
from .positional import PositionalEncoding, sinusoidal_positional_encoding
from .pretrained import load_minilm
from .text import get_batch, load_text_corpus, mask_tokens
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
# --- added by seq2seq ---
from .qa import ExtractiveQA, SpanProbe, qa_exact_match, span_features, train_span_probe  # noqa: E402
from .data.stories import make_qa_examples  # noqa: E402
from .seq2seq import (AdditiveAttention, RNNSeq2Seq, additive_attention, clause_test_sets,  # noqa: E402
                      exact_match_by_clauses, load_rnn_seq2seq, make_clause_corpus)
__all__ += ["additive_attention", "AdditiveAttention", "RNNSeq2Seq", "load_rnn_seq2seq", "clause_test_sets",
            "exact_match_by_clauses", "make_clause_corpus", "ExtractiveQA", "SpanProbe", "train_span_probe",
            "qa_exact_match", "make_qa_examples", "span_features"]
