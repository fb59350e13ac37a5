"""The course's data sets, all generated offline or shipped with Python: one module per data set.

    french   the French -> English grammar of lesson 04 (translation pairs, padded batches)
    pydoc    Python's help pages, split and tokenized for the language models of lesson 05
    stdlib   the help pages plus the standard library's docstrings (lesson 08)
    reviews  labelled product reviews for lesson 06's sentiment head
    digits   scikit-learn's 8x8 digit images and their captions (lesson 07's ViT and CLIP)
    stories  tiny stories with who/what/where questions for extractive question answering (lesson 06)
    speech   synthetic touch-tone clips of spoken digits (lesson 07's mini Whisper)
"""
from .french import (ADJECTIVES, NOUNS, SUBJECT_NOUNS, VERBS, encode_pairs, grammar_size, make_translation_corpus,
                     noun_phrase, random_sentence, sentence, translation_batches, word_translations)
from .pydoc import TextCorpus, load_corpus, load_text_corpus, split_corpus
from .reviews import LABELS, make_reviews
from .stdlib import stdlib_corpus
from .stories import make_qa_examples
from .digits import CAPTION_TEMPLATES, DIGIT_NAMES, caption_digits, load_digit_images, random_shift
from .speech import DTMF_HIGH, DTMF_LOW, SAMPLE_RATE, make_digit_clips, synthesize_digits

__all__ = [
    "ADJECTIVES", "NOUNS", "SUBJECT_NOUNS", "VERBS", "encode_pairs", "grammar_size", "make_translation_corpus",
    "noun_phrase", "random_sentence", "sentence", "translation_batches", "word_translations",
    "TextCorpus", "load_corpus", "load_text_corpus", "split_corpus",
    "LABELS", "make_reviews",
    "stdlib_corpus", "make_qa_examples",
    "CAPTION_TEMPLATES", "DIGIT_NAMES", "caption_digits", "load_digit_images", "random_shift",
    "DTMF_HIGH", "DTMF_LOW", "SAMPLE_RATE", "make_digit_clips", "synthesize_digits",
]
