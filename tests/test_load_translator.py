"""Lesson 05 loads lesson 04's translator from the shipped weights instead of training it again."""
import utils


def test_the_shipped_translator_translates_held_out_sentences():
    translator = utils.load_translator(device="cpu")
    assert translator.history is None, "loaded, not trained"
    assert len(translator.test_pairs) == 500 and len(translator.train_pairs) == 10_000
    seen = {fr for fr, _ in translator.train_pairs}
    assert not any(fr in seen for fr, _ in translator.test_pairs), "held-out sentences must be unseen"
    sample = translator.test_pairs[:100]
    score = utils.exact_match(translator.model, sample, translator.src_vocab, translator.tgt_vocab)
    assert score >= 0.97, f"the shipped translator gets {score:.0%} of 100 held-out sentences exactly (>= 97%)"
    assert not translator.model.training


def test_its_vocabularies_are_the_corpus_vocabularies():
    translator = utils.load_translator(device="cpu")
    fresh = utils.Vocab(fr for fr, _ in translator.train_pairs)
    assert fresh.itos == translator.src_vocab.itos
