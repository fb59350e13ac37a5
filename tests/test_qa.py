"""Extractive question answering (utils.qa) and its stories (utils.data.stories)."""
import pytest
import torch

import utils
from utils.data.stories import NAMES, OBJECTS, PLACES, make_qa_examples
from utils.qa import ExtractiveQA, answer_sentence, best_spans, qa_exact_match, span_features, train_span_probe


def test_every_answer_is_the_span_at_its_offset_and_the_splits_share_no_words():
    for split in ("train", "test"):
        for x in make_qa_examples(200, split, seed=3):
            assert x["context"][x["answer_start"]:x["answer_start"] + len(x["answer"])] == x["answer"]
            assert x["question"].endswith("?") and x["context"].count(".") == 3
    for words in (NAMES, OBJECTS, PLACES):
        assert not set(words["train"]) & set(words["test"])
    assert make_qa_examples(5, "test", seed=1) == make_qa_examples(5, "test", seed=1)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        make_qa_examples(2, "valid")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_qa_examples(0)


def test_best_spans_picks_the_likeliest_ordered_span():
    logits = torch.full((2, 6, 2), -10.0)
    logits[0, 3, 0], logits[0, 1, 1] = 5.0, 5.0  # the best end comes before the best start ...
    logits[0, 4, 1] = 4.0  # ... so the best ordered span ends here
    logits[1, 1, 0], logits[1, 5, 1], logits[1, 2, 1] = 5.0, 5.0, 4.0
    (s0, e0, p0), (s1, e1, _) = best_spans(logits, max_tokens=3)
    assert (s0, e0) == (3, 4) and 0 < p0 < 1
    assert (s1, e1) == (1, 2)  # 1..5 is five tokens, more than max_tokens
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        best_spans(logits, max_tokens=0)


def test_answer_sentence_finds_the_sentence_that_holds_the_answer():
    context = "Ann put the key in the box. Ben hid the cup under the bed."
    assert answer_sentence(context, context.index("the cup")) == "Ben hid the cup under the bed."
    with pytest.raises(ValueError, match="outside the context"):
        answer_sentence(context, 500)


@pytest.fixture(scope="module")
def minilm():
    model, _ = utils.load_minilm("cpu")
    return model


def test_span_features_shapes_and_mask(minilm):
    features, mask, encodings = span_features(minilm, ["Who hid the cup?", "Where?"],
                                              ["Ben hid the cup under the bed.", "Here."])
    assert features.shape[0] == 2 and features.shape[2] == 2 * 384 + 1
    assert mask[0].sum() == sum(encodings[0].attention_mask) - 2 and not mask[:, 0].any()  # no [CLS], no [SEP]
    assert mask[1].sum() == sum(encodings[1].attention_mask) - 2
    assert not mask[1, sum(encodings[1].attention_mask) - 1]  # [SEP]
    with pytest.raises(ValueError, match="as many questions as sentences"):
        span_features(minilm, ["a?"], [])


def test_a_probe_on_frozen_minilm_answers_unseen_stories(minilm):
    qa = ExtractiveQA(minilm, train_span_probe(minilm, make_qa_examples(300, "train", seed=0), steps=300))
    accuracy = qa_exact_match(qa, make_qa_examples(40, "test", seed=1))  # names, objects, places never seen
    assert accuracy >= 0.7, f"exact match {accuracy:.2f} on held-out stories"
    result = qa("Who hid the cake?", "Marie baked a cake for the party. Later, Tom hid the cake in the fridge.")
    assert set(result) == {"answer", "score", "start", "end"} and 0 <= result["score"] <= 1
    context = "Marie baked a cake for the party. Later, Tom hid the cake in the fridge."
    assert context[result["start"]:result["end"]] == result["answer"]
