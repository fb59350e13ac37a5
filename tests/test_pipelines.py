"""utils.pipeline, utils.hub and utils.data.reviews: Hugging Face's call conventions and output formats,
the shared pieces checked against brute force or PyTorch, the cache, and the models' held-out scores.

The tests that need the GPT or the translator are marked slow: the first time, utils.hub trains them
(seconds to a minute) unless their weights are cached or committed in utils/assets.
"""
import importlib.util
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import utils
from utils import batching, hub, runtime
from utils import pipelines as P
from utils.data.reviews import ADJECTIVES, LABELS, SUBJECTS, VERDICTS, make_reviews

# --------------------------------------------------------------------------------------------------
# Post-processing: logits -> {"label", "score"}
# --------------------------------------------------------------------------------------------------


def test_postprocess_logits_matches_softmax_and_sorting():
    logits = torch.randn(6, 5)
    names = [f"L{i}" for i in range(5)]
    probs = torch.softmax(logits, dim=-1)
    best = P.postprocess_logits(logits, names)
    assert [r["label"] for r in best] == [names[i] for i in probs.argmax(-1).tolist()]
    torch.testing.assert_close(torch.tensor([r["score"] for r in best]), probs.max(-1).values)
    every = P.postprocess_logits(logits, dict(enumerate(names)), top_k=None)
    for row, ranked in zip(probs, every):
        assert len(ranked) == 5 and [type(r["score"]) for r in ranked] == [float] * 5
        scores = [r["score"] for r in ranked]
        assert scores == sorted(scores, reverse=True)
        torch.testing.assert_close(torch.tensor(scores), row.sort(descending=True).values)
        assert sum(scores) == pytest.approx(1.0, abs=1e-5)
    two = P.postprocess_logits(logits, names, top_k=2)
    assert [len(r) for r in two] == [2] * 6 and two[0] == every[0][:2]
    raw = P.postprocess_logits(logits, names, function_to_apply="none")
    torch.testing.assert_close(torch.tensor([r["score"] for r in raw]), logits.max(-1).values)


def test_postprocess_logits_is_stable_and_checks_its_input():
    huge = torch.tensor([[1000.0, 0.0], [-1000.0, 1000.0]])
    out = P.postprocess_logits(huge, ["NEGATIVE", "POSITIVE"])
    assert out == [{"label": "NEGATIVE", "score": 1.0}, {"label": "POSITIVE", "score": 1.0}]
    with pytest.raises(ValueError, match="batch, num_labels"):
        P.postprocess_logits(torch.randn(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="id2label"):
        P.postprocess_logits(torch.randn(2, 3), ["a", "b"])
    with pytest.raises(ValueError, match="top_k"):
        P.postprocess_logits(torch.randn(2, 2), ["a", "b"], top_k=0)
    with pytest.raises(ValueError, match="function_to_apply"):
        P.postprocess_logits(torch.randn(2, 2), ["a", "b"], function_to_apply="relu")


# --------------------------------------------------------------------------------------------------
# Batching and padding
# --------------------------------------------------------------------------------------------------


def test_pad_batch_matches_pytorch_pad_sequence():
    rng = random.Random(0)
    sequences = [[rng.randrange(1, 100) for _ in range(rng.randrange(1, 9))] for _ in range(7)]
    ids, mask = batching.pad_batch(sequences, pad_id=0)
    expected = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in sequences], batch_first=True)
    assert ids.dtype == mask.dtype == torch.long
    assert torch.equal(ids, expected)
    assert torch.equal(mask, (torch.arange(ids.size(1)) < torch.tensor([len(s) for s in sequences])[:, None]).long())
    ids, _ = batching.pad_batch([[5], [6, 7]], pad_id=9)
    assert ids.tolist() == [[5, 9], [6, 7]]
    with pytest.raises(ValueError):
        batching.pad_batch([])
    with pytest.raises(ValueError):
        batching.pad_batch([[1], []])


def test_length_sorted_batches_cover_every_index_and_reduce_padding():
    rng = random.Random(1)
    lengths = [rng.randrange(1, 60) for _ in range(101)]
    batches = batching.length_sorted_batches(lengths, 8)
    assert sorted(i for b in batches for i in b) == list(range(101))
    assert [len(b) for b in batches] == [8] * 12 + [5]
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    in_order = [list(range(s, min(s + 8, 101))) for s in range(0, 101, 8)]
    assert batching.padding_fraction(lengths, batches) < batching.padding_fraction(lengths, in_order)
    # brute force: padded positions / all positions
    padded = sum(len(b) * max(lengths[i] for i in b) for b in in_order)
    assert batching.padding_fraction(lengths, in_order) == pytest.approx((padded - sum(lengths)) / padded)
    assert batching.length_sorted_batches([3, 3, 3], 2) == [[0, 1], [2]]  # ties keep their order
    assert batching.length_sorted_batches([], 4) == []
    with pytest.raises(ValueError):
        batching.length_sorted_batches([1, 2], 0)


# --------------------------------------------------------------------------------------------------
# Extractive summarization
# --------------------------------------------------------------------------------------------------


def test_split_sentences():
    text = "Transformers read everything at once.  Is attention all you need? Yes! 3 layers suffice. e.g. not here"
    assert P.split_sentences(text) == ["Transformers read everything at once.", "Is attention all you need?",
                                       "Yes!", "3 layers suffice. e.g. not here"]
    assert P.split_sentences("One sentence") == ["One sentence"]
    with pytest.raises(ValueError):
        P.split_sentences(["not", "a", "str"])


def test_centrality_scores_match_brute_force():
    x = torch.randn(6, 10)
    scores = P.centrality_scores(x)
    for i in range(6):
        sims = [F.cosine_similarity(x[i], x[j], dim=0) for j in range(6) if j != i]
        assert scores[i].item() == pytest.approx(torch.stack(sims).mean().item(), abs=1e-5)
    assert P.centrality_scores(torch.randn(1, 4)).tolist() == [0.0]
    with pytest.raises(ValueError):
        P.centrality_scores(torch.randn(4))


def test_select_sentences_follows_its_rules():
    sentences = ["a b c", "d e", "f g h i", "j"]  # 3, 2, 4, 1 words
    scores = [0.1, 0.9, 0.5, 0.3]  # ranking: 1, 2, 3, 0
    assert P.select_sentences(sentences, scores, num_sentences=2) == [1, 2]
    assert P.select_sentences(sentences, scores, max_length=6) == [1, 2]  # 2 + 4 words; + 1 would be 7
    assert P.select_sentences(sentences, scores, max_length=5) == [1]  # stops at the first misfit
    assert P.select_sentences(sentences, scores, max_length=1) == [1]  # the best one always stays
    assert P.select_sentences(sentences, scores, max_length=2, min_length=6) == [1, 2]  # min wins over max
    assert P.select_sentences(sentences, scores) == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        P.select_sentences(sentences, scores[:2])


# --------------------------------------------------------------------------------------------------
# The registry, devices and arguments
# --------------------------------------------------------------------------------------------------


def test_unknown_task_and_model_list_what_is_available():
    with pytest.raises(ValueError, match="translation_fr_to_en") as err:
        utils.pipeline("translation_en_to_fr")
    for task in ("sentiment-analysis", "text-generation", "summarization", "feature-extraction"):
        assert task in str(err.value)
    with pytest.raises(ValueError, match="course/gpt-pydoc"):
        utils.pipeline("text-generation", model="gpt2")
    with pytest.raises(ValueError, match="task must be a str"):
        utils.pipeline(None)
    assert {"sentiment-analysis", "text-classification", "text-generation", "translation_fr_to_en",
            "summarization", "feature-extraction"} <= set(P.available_tasks())


def test_as_device():
    assert runtime.as_device(-1) == torch.device("cpu")
    assert runtime.as_device("cpu") == torch.device("cpu")
    assert runtime.as_device(torch.device("cpu")) == torch.device("cpu")
    assert runtime.as_device(None) == utils.get_device()
    with pytest.raises(ValueError, match="device"):
        runtime.as_device("tpu-please")
    with pytest.raises(ValueError, match="device"):
        runtime.as_device(True)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            runtime.as_device(0)


class EchoPipeline(P.Pipeline):
    """A model-free pipeline: each text -> its length times `factor`. Records its batches."""

    task = "echo"
    parameters = {"factor": 1}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches = []

    def validate(self, params):
        if params["factor"] == 0:
            raise ValueError("factor must not be 0")

    def preprocess(self, batch, **params):
        self.batches.append(list(batch))
        return batch

    def _forward(self, model_inputs, factor=1, **params):
        return [len(t) * factor for t in model_inputs]

    def postprocess(self, outputs, **params):
        return [{"length": n} for n in outputs]


def test_pipeline_machinery_batches_by_length_and_keeps_input_order():
    pipe = EchoPipeline(torch.nn.Linear(1, 1), batch_size=2, factor=3)
    texts = ["a", "bb bb bb", "c", "dd dd", "e e e e"]
    assert pipe(texts) == [{"length": len(t) * 3} for t in texts]
    assert pipe.batches == [["e e e e", "bb bb bb"], ["dd dd", "a"], ["c"]]  # longest first
    assert pipe("hello", factor=2) == {"length": 10}
    assert pipe([]) == []
    assert pipe(("a", "b"), batch_size=1) == [{"length": 3}, {"length": 3}]
    with pytest.raises(ValueError, match="unexpected argument.*factor=1"):
        pipe("x", top_k=3)
    with pytest.raises(ValueError, match="factor must not be 0"):
        pipe("x", factor=0)
    with pytest.raises(ValueError, match="batch_size"):
        pipe("x", batch_size=0)
    with pytest.raises(ValueError, match="str"):
        pipe(["ok", 3])
    with pytest.raises(ValueError, match="empty"):
        pipe("   ")
    with pytest.raises(ValueError, match="unexpected argument"):
        EchoPipeline(torch.nn.Linear(1, 1), foo=1)


def test_register_task(monkeypatch):
    monkeypatch.setattr(P.registry, "TASKS", dict(P.TASKS))
    with pytest.raises(ValueError, match="already registered"):
        P.register_task("summarization", EchoPipeline, "sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(ValueError, match="subclass"):
        P.register_task("echo", dict, "sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(ValueError, match="course/gpt-pydoc"):  # lists the hub's models
        P.register_task("echo", EchoPipeline, "bert-base-uncased")
    P.register_task("echo", EchoPipeline, "sentence-transformers/all-MiniLM-L6-v2")
    assert "echo" in P.available_tasks()
    echo = utils.pipeline("echo", device="cpu", batch_size=4)
    assert isinstance(echo, EchoPipeline) and echo.batch_size == 4
    assert echo(["abc", "de"]) == [{"length": 3}, {"length": 2}]


# --------------------------------------------------------------------------------------------------
# The generated reviews
# --------------------------------------------------------------------------------------------------


def test_reviews_are_deterministic_distinct_and_held_out():
    train, test = make_reviews(300, 150, seed=3)
    assert (train, test) == make_reviews(300, 150, seed=3)
    assert make_reviews(300, 150, seed=4)[0] != train
    assert len(train) == len(set(train)) == 300 and len(test) == len(set(test)) == 150
    assert {label for _, label in train + test} == set(LABELS)
    assert 0.35 < sum(label == "POSITIVE" for _, label in train) / 300 < 0.65
    test_words = {w for ws in ADJECTIVES["test"].values() for w in ws}
    train_words = {w for ws in ADJECTIVES["train"].values() for w in ws}
    assert not test_words & train_words and not set(SUBJECTS["test"]) & set(SUBJECTS["train"])
    for text, _ in train:
        words = set(text.lower().rstrip(".").replace(",", "").split())
        assert not words & test_words, text
        assert not any(s in text.lower() for s in SUBJECTS["test"]), text


def test_review_labels_follow_the_grammar():
    train, test = make_reviews(400, 400, seed=0)
    positive = {w for split in ADJECTIVES.values() for w in split[1]}
    negative = {w for split in ADJECTIVES.values() for w in split[0]}
    verdicts = {v.format(s=s, S=s[0].upper() + s[1:]): LABELS[label]
                for split in ("train", "test") for label, vs in VERDICTS[split].items() for v in vs
                for s in SUBJECTS[split]}
    negated = 0
    for text, label in train + test:
        words = set(text.lower().rstrip(".").replace(",", "").split())
        if text in verdicts:
            assert label == verdicts[text], text
        elif " was not " in text:  # only praise is negated, and that is negative
            negated += 1
            assert label == "NEGATIVE" and words & positive, text
        else:
            assert (label == "POSITIVE" and words & positive) or (label == "NEGATIVE" and words & negative), text
    assert negated > 20
    with pytest.raises(ValueError):
        make_reviews(0, 10)


# --------------------------------------------------------------------------------------------------
# The hub: cache, recipes, random state
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_recipe(monkeypatch, tmp_path):
    """A recipe that 'trains' a 2x2 linear layer, counting its runs, with the cache in tmp_path."""
    monkeypatch.setenv("TRANSFORMERS_COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hub.framework, "ASSETS", tmp_path / "assets")
    runs = []

    def train(settings, progress=False, device=None):
        runs.append(settings)
        torch.manual_seed(settings["seed"])
        layer = torch.nn.Linear(2, 2)
        return {"weight": layer.weight.detach(), "bias": layer.bias.detach()}, {"info": json.dumps({"score": 0.5})}

    def build(settings, tensors, metadata, device):
        layer = torch.nn.Linear(2, 2)
        layer.load_state_dict(tensors)
        return layer.to(device), None

    recipe = hub.Recipe("test/tiny", "a test model", build, train, {"seed": 7})
    monkeypatch.setitem(hub.MODELS, "test/tiny", recipe)
    return runs


def test_hub_trains_once_then_reads_the_cache(tiny_recipe, tmp_path):
    first = hub.load_model("test/tiny", "cpu")
    assert len(tiny_recipe) == 1 and first.info == {"score": 0.5}
    path = hub.weights_path("test/tiny")
    assert path.parent == tmp_path / "cache" and path.is_file() and path.suffix == ".safetensors"
    again = hub.load_model("test/tiny", "cpu")
    assert len(tiny_recipe) == 1, "the second load must read the cache, not train"
    torch.testing.assert_close(again.model.weight, first.model.weight)
    path.write_bytes(b"not a safetensors file")  # a corrupted cache is remade, not fatal
    hub.load_model("test/tiny", "cpu")
    assert len(tiny_recipe) == 2
    with pytest.raises(FileNotFoundError, match="train_heads"):
        path.unlink()
        hub.load_model("test/tiny", "cpu", train_if_missing=False)


def test_hub_reads_committed_assets_and_names_files_by_settings(tiny_recipe, tmp_path, monkeypatch):
    written = hub.train_model("test/tiny", progress=False, folder=tmp_path / "assets")
    assert len(tiny_recipe) == 1 and written.parent == tmp_path / "assets"
    hub.load_model("test/tiny", "cpu")
    assert len(tiny_recipe) == 1, "weights in utils/assets must be used when the cache has none"
    name = hub.weights_filename("test/tiny")
    assert name.startswith("test--tiny-") and name == hub.weights_filename("test/tiny")
    monkeypatch.setitem(hub.MODELS, "test/tiny", hub.Recipe("test/tiny", "", None, None, {"seed": 8}))
    assert hub.weights_filename("test/tiny") != name, "other settings must give another file"
    with pytest.raises(ValueError, match="course/minilm-sentiment"):
        hub.load_model("no/such-model")


def test_loading_leaves_the_callers_random_numbers_alone(tiny_recipe):
    def draws():
        return torch.rand(3).tolist(), random.random(), float(np.random.rand())

    utils.seed_everything(0)
    expected = draws()
    for _ in ("trains (reseeds) and builds (draws initial weights)", "reads the cache"):
        utils.seed_everything(0)
        hub.load_model("test/tiny", "cpu")
        assert draws() == expected


def test_train_heads_script_trains_what_is_missing(tiny_recipe, tmp_path, capsys):
    path = Path(__file__).resolve().parents[1] / "tools" / "train_heads.py"
    spec = importlib.util.spec_from_file_location("train_heads", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "out"
    script.main(["test/tiny", "--out", str(out)])
    assert (out / hub.weights_filename("test/tiny")).is_file() and len(tiny_recipe) == 1
    assert "score 0.500" in capsys.readouterr().out
    script.main(["test/tiny", "--out", str(out)])
    assert len(tiny_recipe) == 1 and "already in" in capsys.readouterr().out
    script.main(["test/tiny", "--out", str(out), "--force"])
    assert len(tiny_recipe) == 2
    with pytest.raises(SystemExit):
        script.main(["no/such-model"])


# --------------------------------------------------------------------------------------------------
# The MiniLM pipelines
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    model, _ = hub.shared_minilm("cpu")
    return model


@pytest.fixture(scope="module")
def classifier():
    return utils.pipeline("sentiment-analysis", device="cpu")


def test_sentiment_formats_follow_hugging_face(classifier):
    one = classifier("The new phone is awesome!")
    assert isinstance(one, list) and len(one) == 1 and set(one[0]) == {"label", "score"}
    assert one[0]["label"] == "POSITIVE" and one[0]["score"] > 0.9
    many = classifier(["I loved the film.", "The soup was disgusting."])
    assert [r["label"] for r in many] == ["POSITIVE", "NEGATIVE"]
    both = classifier("I loved the film.", top_k=None)
    assert [r["label"] for r in both] == ["POSITIVE", "NEGATIVE"]
    assert sum(r["score"] for r in both) == pytest.approx(1.0)
    assert classifier(["a", "b"], top_k=2)[0][0]["score"] >= classifier(["a", "b"], top_k=2)[0][1]["score"]
    assert utils.pipeline("text-classification", device="cpu")("I loved it.")[0]["label"] == "POSITIVE"


def test_sentiment_logits_equal_the_head_on_minilm_sentence_embeddings(classifier, minilm):
    texts = ["Short.", "A somewhat longer review of the hotel, which was fine.", "Great!"]
    logits = classifier.model.head(minilm.encode(texts).clone())
    expected = P.postprocess_logits(logits, classifier.model.id2label)
    got = classifier(texts, batch_size=2)
    for g, e in zip(got, expected):
        assert g["label"] == e["label"] and g["score"] == pytest.approx(e["score"], abs=1e-4)
    one_by_one = [classifier(t)[0] for t in texts]
    for g, e in zip(got, one_by_one):
        assert g["label"] == e["label"] and g["score"] == pytest.approx(e["score"], abs=1e-4)


def test_sentiment_head_generalises_to_held_out_reviews(classifier):
    assert classifier.info["held_out_accuracy"] >= 0.9
    _, test = make_reviews(n_test=200)
    sample = test[::4]  # 50 of the held-out reviews: new subjects, new adjectives, new verdicts
    predictions = classifier([t for t, _ in sample], batch_size=25)
    accuracy = np.mean([p["label"] == label for p, (_, label) in zip(predictions, sample)])
    assert accuracy >= 0.85


def test_feature_extraction_gives_token_vectors_that_pool_to_minilm_embeddings(minilm):
    extractor = utils.pipeline("feature-extraction", device="cpu")
    texts = ["Hello world.", "Feature extraction returns one vector per token, [CLS] and [SEP] included."]
    nested = extractor(texts[0])
    n_tokens = len(minilm.tokenizer.encode(texts[0]).ids)
    assert len(nested) == 1 and len(nested[0]) == n_tokens and len(nested[0][0]) == 384
    tensors = extractor(texts, return_tensors=True)
    assert [t.shape for t in tensors] == [(1, n_tokens, 384), (1, len(minilm.tokenizer.encode(texts[1]).ids), 384)]
    torch.testing.assert_close(torch.tensor(nested), tensors[0])
    pooled = torch.cat([F.normalize(t.mean(dim=1), dim=-1) for t in tensors])
    torch.testing.assert_close(pooled, minilm.encode(texts), atol=1e-5, rtol=1e-4)


def test_summarization_keeps_the_most_central_sentences(minilm):
    summarizer = utils.pipeline("summarization", device="cpu")
    sentences = ["Transformers process every token of a sequence in parallel.",
                 "Attention lets each token look at every other token.",
                 "My neighbour's dog barks at the postman.",
                 "Self-attention is the core of the Transformer architecture.",
                 "Because attention connects all tokens, Transformers capture long-range dependencies."]
    text = " ".join(sentences)
    scores = P.centrality_scores(minilm.encode(sentences))
    best = int(scores.argmax())
    out = summarizer(text, num_sentences=1)
    assert out == [{"summary_text": sentences[best]}]
    assert "dog" not in summarizer(text, num_sentences=3)[0]["summary_text"]  # the off-topic sentence
    two = summarizer([text, text], max_length=25, min_length=5, do_sample=False)
    assert len(two) == 2 and all(set(r) == {"summary_text"} for r in two)
    kept = P.select_sentences(sentences, scores, max_length=25, min_length=5)
    assert two[0]["summary_text"] == " ".join(sentences[i] for i in kept)
    assert summarizer("Only one sentence here.") == [{"summary_text": "Only one sentence here."}]
    with pytest.raises(ValueError, match="do_sample"):
        summarizer(text, do_sample=True)
    with pytest.raises(ValueError, match="min_length"):
        summarizer(text, max_length=5, min_length=10)


# --------------------------------------------------------------------------------------------------
# The GPT and the translator (trained on first use: slow without a cache)
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_text_generation_formats_and_lengths():
    generator = utils.pipeline("text-generation", device="cpu")
    assert generator.info["val_loss"] < 6.0  # far below a uniform guess over 2048 tokens (7.6)
    prompt = 'The "for" statement'
    out = generator(prompt, max_new_tokens=8, do_sample=False)
    assert isinstance(out, list) and len(out) == 1 and set(out[0]) == {"generated_text"}
    assert out[0]["generated_text"].startswith(prompt)
    tokenizer = generator.tokenizer
    assert len(tokenizer.encode(out[0]["generated_text"])) <= len(tokenizer.encode(prompt)) + 8 + 2
    assert generator(prompt, max_new_tokens=8, do_sample=False) == out, "greedy decoding is deterministic"
    tail = generator(prompt, max_new_tokens=8, do_sample=False, return_full_text=False)[0]["generated_text"]
    assert prompt + tail == out[0]["generated_text"]
    torch.manual_seed(0)
    samples = generator([prompt, "A class"], max_length=12, num_return_sequences=3, top_k=20)
    assert [len(s) for s in samples] == [3, 3] and samples[1][0]["generated_text"].startswith("A class")
    with pytest.raises(ValueError, match="not both"):
        generator(prompt, max_length=10, max_new_tokens=5)
    with pytest.raises(ValueError, match="do_sample=True"):
        generator(prompt, do_sample=False, num_return_sequences=2)
    with pytest.raises(ValueError, match="temperature"):
        generator(prompt, temperature=0)


@pytest.mark.slow
def test_translation_formats_and_accuracy():
    translator = utils.pipeline("translation_fr_to_en", device="cpu")
    assert translator.info["held_out_exact_match"] >= 0.95
    assert translator("le chat noir mange une pomme") == [{"translation_text": "The black cat eats an apple"}]
    assert translator("Le chat noir mange une pomme.") == [{"translation_text": "The black cat eats an apple."}]
    _, test_pairs = utils.make_translation_corpus(10_000, 500, seed=0)
    sample = test_pairs[:40]
    greedy = translator([fr for fr, _ in sample], batch_size=16)
    assert all(set(r) == {"translation_text"} for r in greedy)
    correct = np.mean([r["translation_text"].lower() == en for r, (_, en) in zip(greedy, sample)])
    assert correct >= 0.9
    beam = translator([fr for fr, _ in sample[:8]], num_beams=3)
    assert np.mean([r["translation_text"].lower() == en for r, (_, en) in zip(beam, sample)]) >= 0.85
    with pytest.raises(ValueError, match="num_beams"):
        translator("le chat", num_beams=0)
    with pytest.raises(ValueError, match="nothing to translate"):
        translator("?!")


@pytest.mark.slow
@pytest.mark.parametrize("name, small", [
    ("course/minilm-sentiment", dict(n_train=40, n_test=20, seed=0, steps=20, lr=0.1, weight_decay=0.1)),
    ("course/gpt-pydoc", dict(hub.GPT_PYDOC, steps=3, batch_size=4)),
    ("course/transformer-fr-en", dict(hub.TRANSLATOR, steps=5, n_train=500, n_test=20)),
])
def test_every_recipe_trains_saves_and_rebuilds(name, small, monkeypatch, tmp_path):
    """The real recipes, shortened: what the committed or cached weights normally hide."""
    monkeypatch.setenv("TRANSFORMERS_COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(hub.framework, "ASSETS", tmp_path / "no-assets")
    recipe = hub.MODELS[name]
    monkeypatch.setitem(hub.MODELS, name, hub.Recipe(name, recipe.description, recipe.build, recipe.train, small))
    loaded = hub.load_model(name, "cpu")
    assert hub.weights_path(name).is_file() and loaded.info and not loaded.model.training
    again = hub.load_model(name, "cpu")  # from the file just written
    for (k, a), (_, b) in zip(loaded.model.state_dict().items(), again.model.state_dict().items()):
        torch.testing.assert_close(a, b, msg=k)
    task = {"course/minilm-sentiment": "sentiment-analysis", "course/gpt-pydoc": "text-generation",
            "course/transformer-fr-en": "translation_fr_to_en"}[name]
    pipe = P.TASKS[task].pipeline_class(again.model, again.tokenizer, device="cpu")
    out = pipe(["le chat mange une pomme", "Un chien"] if task.startswith("translation") else ["Good.", "Bad."])
    assert len(out) == 2
