"""Lesson 08's shipped ModernGPT: it loads, and its held-out loss measured afresh is the recorded one."""
import pytest
import torch

import utils
from utils.modern_lm import ASSET, held_out_loss, load_modern_gpt, modern_gpt_data, text_sha1


@pytest.fixture(scope="module")
def shipped():
    model, tok, meta = load_modern_gpt()
    return model, tok, meta, modern_gpt_data(tok)


def test_shipped_checkpoint_is_small_and_complete(shipped):
    model, tok, meta, _ = shipped
    assert ASSET.stat().st_size < 5_000_000
    assert isinstance(model, utils.ModernGPT) and tok.vocab_size == model.vocab_size == 1024
    assert {"val_loss", "steps", "seed", "val_sha1"} <= set(meta)


def test_held_out_loss_measured_afresh_matches_the_record(shipped):
    model, tok, meta, data = shipped
    if text_sha1(data.val_text) != meta["val_sha1"]:
        pytest.skip(f"this Python's docstrings differ from the corpus it was trained on (Python {meta['python']})")
    loss = held_out_loss(model, data.val_ids)
    assert abs(loss - meta["val_loss"]) < 0.01, f"held-out loss {loss:.4f}, recorded {meta['val_loss']}"
    unigram = utils.losses.unigram_cross_entropy(data.train_ids, data.val_ids, tok.vocab_size)
    assert loss < unigram - 1.0  # it uses context: far below the best context-free model


def test_shipped_model_writes_words(shipped):
    model, tok, _, _ = shipped
    prompt = torch.tensor([tok.encode("The return value")])
    text = tok.decode(model.generate(prompt, 40, temperature=0.7, top_p=0.9,
                                     generator=torch.Generator().manual_seed(0))[0])
    words = text.split()
    assert text.startswith("The return value") and len(words) >= 8
    assert sum(w.strip(".,;:()").isalpha() for w in words) / len(words) > 0.6  # mostly real words
