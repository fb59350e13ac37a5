"""The tested Transformer library that every lesson of the course imports.

Each lesson lets the learner build a piece by hand, checks it, then uses the version here. The names below
are what the lessons use, grouped by the lesson that introduces them; every module's own docstring says
what it holds (README: one row per module).
"""
# The marker that tells this library from any other module named `utils` (course_setup.py checks it).
__course__ = "transformers-from-first-principles"

# Every lesson: where to run, threads, seeds, training.
from .runtime import configure_threads, default_threads, get_device, seed_everything, usable_cpus
from .training import History, accuracy, evaluate, train, warmup_cosine

# Lesson 01: recurrent networks and their limits.
from .recurrent import input_gradient_norms, make_recall_batch, rnn_unroll

# Lesson 02: attention; a real pretrained encoder; where attention came from (the 2014 bottleneck, Bahdanau).
from .attention import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from .checkpoints.bert import load_minilm
from .seq2seq import (AdditiveAttention, RNNSeq2Seq, additive_attention, clause_test_sets, exact_match_by_clauses,
                      load_rnn_seq2seq, make_clause_corpus)

# Lesson 03: multi-head attention, positions.
from .positional import PositionalEncoding, sinusoidal_positional_encoding

# Lesson 04: the encoder-decoder Transformer, translation, alignment.
from .layers import Decoder, DecoderLayer, Encoder, EncoderLayer, FeedForward
from .transformer import TokenEmbedding, Transformer
from .batching import pad_batch
from .tokenization import Vocab
from .data import encode_pairs, grammar_size, make_translation_corpus, translation_batches, word_translations
from .losses import seq2seq_loss
from .decoding import beam_search, sequence_log_prob, translate
from .translator import Translator, exact_match, load_translator, train_translator
from .alignment import aligned_words, alignment, alignment_accuracy, cross_attention_weights, decoder_attention_weights

# Lesson 05: the three model types, language-model data and losses.
from .attention import KVCache, LayerKVCache, capture_attention
from .gpt import GPT
from .bert import MaskedLM
from .sampling import next_token_probs, top_p_filter
from .batching import IGNORE_INDEX, blocks_at, get_batch, lm_batches, mask_tokens, mlm_batches
from .losses import evaluate_lm, lm_loss, mlm_loss, perplexity, unigram_cross_entropy
from .tokenization import BPETokenizer, CharTokenizer
from .data import load_text_corpus

# Lesson 06: applications through one pipeline.
from .pipelines import (Pipeline, available_tasks, centrality_scores, pipeline, postprocess_logits, register_task,
                        select_sentences, split_sentences)
from .batching import length_sorted_batches, padding_fraction
from .data import make_qa_examples, make_reviews
from .hub import mean_pool, shared_minilm
from .qa import ExtractiveQA, SpanProbe, qa_exact_match, span_features, train_span_probe

# Lesson 07: beyond text.
from .vit import PatchEmbedding, ViT, add_cls_and_positions, patchify
from .clip import CLIP, clip_loss, zero_shot_predict
from .spectrogram import LogMelSpectrogram, frame_signal, log_mel_spectrogram, mel_filterbank, power_spectrogram
from .whisper import SpeechToText, character_error_rate, transcript_loss
from .tokenization import CharVocab, WordTokenizer
from .data import (CAPTION_TEMPLATES, DIGIT_NAMES, DTMF_HIGH, DTMF_LOW, SAMPLE_RATE, caption_digits,
                   load_digit_images, make_digit_clips, random_shift, synthesize_digits)

# Lesson 08: from the 2017 Transformer to a modern LLM.
from .modern import (GroupedQueryAttention, ModernBlock, ModernGPT, RMSNorm, SwiGLU, apply_rope, build_gpt,
                     kv_cache_bytes_per_token)
from .bpe import ByteBPE, chunks
from .data import stdlib_corpus
from .modern_lm import held_out_loss, load_modern_gpt, modern_gpt_data

# Real Hugging Face checkpoints in the course's own models (any lesson, online or from a local folder).
from .checkpoints import (CheckpointError, load_bert_classifier, load_clip, load_gpt2, load_marian, load_vit,
                          load_whisper)

# The exercises' checks: utils.checks.check("test_...", globals()).
from . import checks  # noqa: E402,F401

# Figures pull in matplotlib and ipywidgets (~0.75 s), so utils.figures loads on first use only (PEP 562).
_LAZY = {"plot_attention": "figures", "plot_attention_heads": "figures", "plot_losses": "figures",
         "interactive_figure": "figures"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and not isinstance(value, type(checks))] + [*_LAZY]
