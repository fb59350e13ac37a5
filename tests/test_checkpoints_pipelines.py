"""utils.pipeline(task, model=<checkpoint folder>) runs the course's model and answers as transformers.pipeline."""
import pytest
import torch
from hf_tiny import byte_level_tokenizer, save, wordpiece_tokenizer

import utils

transformers = pytest.importorskip("transformers")
TEXTS = ["the cat sat on a mat", "love", "the new phone is awesome and the film is great", "bad film"]


@pytest.fixture(scope="module")
def classifier_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.DistilBertConfig(vocab_size=120, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                           max_position_embeddings=64, id2label={0: "NEGATIVE", 1: "POSITIVE"})
    hf = transformers.DistilBertForSequenceClassification(config).eval()
    return save(hf, tmp_path_factory.mktemp("distilbert"), wordpiece_tokenizer(120))


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=300, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                     bos_token_id=0, eos_token_id=0)
    hf = transformers.GPT2LMHeadModel(config).eval()
    return save(hf, tmp_path_factory.mktemp("gpt2"), byte_level_tokenizer(300))


def close(ours, theirs):
    """Same labels in the same order, scores equal to 1e-4."""
    if isinstance(ours, dict):
        return ours["label"] == theirs["label"] and abs(ours["score"] - theirs["score"]) < 1e-4
    return len(ours) == len(theirs) and all(close(a, b) for a, b in zip(ours, theirs))


def test_sentiment_analysis_equals_transformers_pipeline(classifier_folder):
    ours = utils.pipeline("sentiment-analysis", model=str(classifier_folder), device="cpu")
    theirs = transformers.pipeline("sentiment-analysis", model=str(classifier_folder), device="cpu")
    assert close(ours(TEXTS[0]), theirs(TEXTS[0]))
    assert close(ours(TEXTS), theirs(TEXTS))
    assert close(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None))
    assert ours.info["model_type"] == "distilbert"


def test_text_generation_equals_transformers_pipeline(gpt2_folder):
    ours = utils.pipeline("text-generation", model=str(gpt2_folder), device="cpu")
    theirs = transformers.pipeline("text-generation", model=str(gpt2_folder), device="cpu")
    for prompt in ("once upon a time", "the cat"):
        mine = ours(prompt, max_new_tokens=12, do_sample=False)
        reference = theirs(prompt, max_new_tokens=12, min_new_tokens=12, do_sample=False)
        assert mine == reference, (mine, reference)


def test_a_checkpoint_of_another_family_or_task_is_refused(gpt2_folder):
    with pytest.raises(ValueError, match="runs bert, distilbert checkpoints"):
        utils.pipeline("sentiment-analysis", model=str(gpt2_folder))
    with pytest.raises(ValueError, match="cannot run a checkpoint"):
        utils.pipeline("summarization", model=str(gpt2_folder))
    with pytest.raises(ValueError, match="not in the Hugging Face cache"):
        utils.pipeline("text-generation", model="course-tests/no-such-model")
