"""utils.checkpoints.load_bert_classifier: BERT and DistilBERT sequence classifiers in the course's encoder."""
import pytest
import torch
from hf_tiny import save, wordpiece_tokenizer
from safetensors.torch import load_file, save_file

from utils.checkpoints import BertClassifier, CheckpointError, load_bert_classifier

transformers = pytest.importorskip("transformers")
VOCAB = 120
LABELS = {0: "NEGATIVE", 1: "POSITIVE"}


def tiny(model_type):
    if model_type == "bert":
        config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=64, max_position_embeddings=64, id2label=LABELS)
        return transformers.BertForSequenceClassification(config).eval()
    config = transformers.DistilBertConfig(vocab_size=VOCAB, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                           max_position_embeddings=64, id2label=LABELS)
    return transformers.DistilBertForSequenceClassification(config).eval()


@pytest.fixture(scope="module", params=["bert", "distilbert"])
def checkpoint(request, tmp_path_factory):
    torch.manual_seed(0)
    hf = tiny(request.param)
    return save(hf, tmp_path_factory.mktemp(request.param), wordpiece_tokenizer(VOCAB)), hf


def test_logits_equal_transformers_with_padding(checkpoint):
    folder, hf = checkpoint
    model, tokenizer = load_bert_classifier(folder)
    assert isinstance(model, BertClassifier) and not model.training and tokenizer is not None
    assert model.id2label == LABELS
    ids = torch.randint(5, VOCAB, (3, 17))
    attention_mask = (torch.arange(17)[None] < torch.tensor([17, 9, 3])[:, None]).long()
    ids = ids.masked_fill(attention_mask == 0, 0)
    with torch.no_grad():
        ours = model(ids, attention_mask)
        theirs = hf(input_ids=ids, attention_mask=attention_mask).logits
    assert (ours - theirs).abs().max() < 1e-4


def test_missing_and_mis_shaped_tensors_are_named(checkpoint, tmp_path):
    folder, _ = checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["classifier.bias"]
    tensors["pre_classifier.weight" if "pre_classifier.weight" in tensors else "bert.pooler.dense.weight"] = \
        torch.zeros(32, 5)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: classifier\.bias") as err:
        load_bert_classifier(tmp_path)
    assert "expected (32, 32), got (32, 5)" in str(err.value)


def test_other_architectures_are_refused(tmp_path):
    transformers.GPT2Config(vocab_size=10, n_embd=8, n_layer=1, n_head=2).save_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="not a BERT or DistilBERT classifier"):
        load_bert_classifier(tmp_path)
