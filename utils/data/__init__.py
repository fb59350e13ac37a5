"""The course's data sets, all generated offline or shipped with a package: one module per data set."""
from .french import *  # noqa: F401,F403  (transitional: the French -> English grammar)
from .french import PAD, BOS, EOS, UNK, SPECIALS, encode_pairs, tokenize  # noqa: F401
from .digits import CAPTION_TEMPLATES, DIGIT_NAMES, caption_digits, load_digit_images, random_shift  # noqa: F401
from .speech import DTMF_HIGH, DTMF_LOW, SAMPLE_RATE, make_digit_clips, synthesize_digits  # noqa: F401
