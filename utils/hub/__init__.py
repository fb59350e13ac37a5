"""The course's offline model hub: every model behind ``utils.pipeline``, made by the course's own code.

    framework   named models (Recipe, MODELS), their weights files, the cache folder lookup, load_model, train_model
    recipes     the course's models: their settings, training runs and builders, registered on import

    loaded = utils.hub.load_model("course/minilm-sentiment")   # weights from the cache or utils/assets, else trained
"""
from ..bert import SentenceClassifier, mean_pool
from .framework import (ASSETS, FORMAT, MODELS, LoadedModel, Recipe, candidate_paths, get_recipe, load_model,
                        read_weights, register, save_weights, train_model, weights_filename, weights_path)
from .recipes import (GPT_PYDOC, SENTIMENT, TRANSLATOR, build_gpt, build_minilm, build_sentiment, build_translation,
                      shared_minilm, train_gpt, train_sentiment_head, train_translation)

__all__ = [
    "SentenceClassifier", "mean_pool",
    "ASSETS", "FORMAT", "MODELS", "LoadedModel", "Recipe", "candidate_paths", "get_recipe", "load_model",
    "read_weights", "register", "save_weights", "train_model", "weights_filename", "weights_path",
    "GPT_PYDOC", "SENTIMENT", "TRANSLATOR", "build_gpt", "build_minilm", "build_sentiment", "build_translation",
    "shared_minilm", "train_gpt", "train_sentiment_head", "train_translation",
]
