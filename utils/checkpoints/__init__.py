"""Loaders that run real Hugging Face checkpoints in the course's own models (one module per family).

    from utils.checkpoints import load_gpt2
    model, tokenizer = load_gpt2("gpt2")   # utils.GPT with GPT-2's weights

Each loader takes a local folder or a Hugging Face name (found in the Hugging Face cache, downloaded on
first use when online), checks every tensor's name and shape, and raises a CheckpointError naming a
tensor it cannot map.
"""
from .bert import BertClassifier, load_bert_classifier
from .clip import load_clip
from .files import CheckpointError, checkpoint_folder
from .gpt2 import load_gpt2
from .marian import load_marian
from .vit import load_vit
from .whisper import load_whisper

__all__ = ["CheckpointError", "checkpoint_folder", "load_gpt2", "BertClassifier", "load_bert_classifier",
           "load_marian", "load_vit", "load_clip",
           "load_whisper"]
