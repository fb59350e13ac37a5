import math

import pytest
import torch
import torch.nn.functional as F

from utils.clip import CLIP, clip_loss, similarity, zero_shot_predict
from utils.data.digits import CAPTION_TEMPLATES, DIGIT_NAMES, caption_digits
from utils.tokenization import WordTokenizer


def clip_loss_by_hand(image_emb, text_emb, temperature):
    """The formula, one term at a time: -log softmax of the true pair, along rows and along columns."""
    B = image_emb.size(0)
    unit = lambda v: [x / math.sqrt(sum(y * y for y in v)) for x in v]  # noqa: E731
    imgs, txts = [unit(v) for v in image_emb.tolist()], [unit(v) for v in text_emb.tolist()]
    s = [[sum(a * b for a, b in zip(imgs[i], txts[j])) / temperature for j in range(B)] for i in range(B)]
    image_to_text = sum(-s[i][i] + math.log(sum(math.exp(s[i][j]) for j in range(B))) for i in range(B)) / B
    text_to_image = sum(-s[j][j] + math.log(sum(math.exp(s[i][j]) for i in range(B))) for j in range(B)) / B
    return (image_to_text + text_to_image) / 2


@pytest.mark.parametrize("B, d, temperature", [(1, 3, 0.07), (5, 8, 0.07), (7, 4, 1.0), (16, 32, 0.3)])
def test_clip_loss_matches_the_formula(B, d, temperature):
    image_emb = 3 * torch.randn(B, d, dtype=torch.float64)
    text_emb = torch.randn(B, d, dtype=torch.float64)
    expected = clip_loss_by_hand(image_emb, text_emb, temperature)
    assert clip_loss(image_emb, text_emb, temperature).item() == pytest.approx(expected, rel=1e-9)


def test_clip_loss_properties():
    image_emb, text_emb = torch.randn(6, 5), torch.randn(6, 5)
    loss = clip_loss(image_emb, text_emb, 0.1)
    # symmetric in its two halves, blind to the embeddings' lengths
    torch.testing.assert_close(clip_loss(text_emb, image_emb, 0.1), loss)
    torch.testing.assert_close(clip_loss(7 * image_emb, 0.2 * text_emb, 0.1), loss)
    # perfect, orthogonal pairs: only the B - 1 wrong pairs' exp(0) remain
    eye = torch.eye(4, dtype=torch.float64)  # the loss is ~2e-6: float32 would round it
    assert clip_loss(eye, eye, 0.07).item() == pytest.approx(math.log(1 + 3 * math.exp(-1 / 0.07)), rel=1e-4)
    assert clip_loss(eye, eye.flip(0), 0.07) > 10, "mismatched pairs must cost a lot"
    # gradients reach both towers and a tensor temperature
    image_emb.requires_grad_(True)
    temperature = torch.tensor(0.1, requires_grad=True)
    clip_loss(image_emb, text_emb, temperature).backward()
    assert image_emb.grad.abs().sum() > 0 and temperature.grad is not None


def test_clip_loss_errors():
    with pytest.raises(ValueError, match="as many texts as images"):
        clip_loss(torch.randn(3, 4), torch.randn(2, 4))
    with pytest.raises(ValueError, match="share their width"):
        clip_loss(torch.randn(3, 4), torch.randn(3, 5))
    with pytest.raises(ValueError, match=r"\(B, d\)"):
        clip_loss(torch.randn(3), torch.randn(3))


def test_similarity_and_zero_shot_predict_match_loops():
    image_emb, prompt_emb = torch.randn(20, 6), torch.randn(4, 6) * torch.tensor([[0.1], [5.0], [1.0], [30.0]])
    sims = similarity(image_emb, prompt_emb)
    expected = torch.tensor([[F.cosine_similarity(i, p, dim=0).item() for p in prompt_emb] for i in image_emb])
    torch.testing.assert_close(sims, expected)
    predicted = zero_shot_predict(image_emb, prompt_emb)
    assert predicted.dtype == torch.long and predicted.shape == (20,)
    assert predicted.tolist() == [max(range(4), key=lambda k: expected[b, k]) for b in range(20)]
    # the lengths of the prompt vectors must not matter, only their directions
    assert not torch.equal(predicted, (image_emb @ prompt_emb.T).argmax(-1)), "pick a case where lengths mislead"


def test_word_tokenizer():
    tokenizer = WordTokenizer(["a handwritten seven", "the digit one"])
    assert len(tokenizer) == 3 + 6
    ids = tokenizer.encode(["A handwritten seven", "the one"], length=6)
    assert ids.shape == (2, 6) and ids[:, 0].tolist() == [WordTokenizer.cls_id] * 2
    assert ids[1, 3:].tolist() == [WordTokenizer.pad_id] * 3
    assert tokenizer.decode(ids[0]) == "a handwritten seven"
    assert tokenizer.encode(["a photo"])[0, 2].item() == WordTokenizer.unk_id
    with pytest.raises(ValueError, match="more than length"):
        tokenizer.encode(["a b c d"], length=3)
    with pytest.raises(ValueError, match="list of strings"):
        tokenizer.encode("a handwritten seven")


def test_caption_digits_names_the_digit():
    labels = torch.arange(10).repeat(5)
    captions = caption_digits(labels, torch.Generator().manual_seed(0))
    assert all(DIGIT_NAMES[d] in caption.split() for d, caption in zip(labels.tolist(), captions))
    phrasings = {caption.replace(DIGIT_NAMES[d], "{}") for d, caption in zip(labels.tolist(), captions)}
    assert phrasings == set(CAPTION_TEMPLATES), "every phrasing should be drawn in 50 captions"
    with pytest.raises(ValueError, match="0..9"):
        caption_digits(torch.tensor([10]))


def test_clip_model():
    torch.manual_seed(0)
    tokenizer = WordTokenizer([t.format(n) for t in CAPTION_TEMPLATES for n in DIGIT_NAMES])
    model = CLIP(len(tokenizer), embed_dim=16, d_model=32, num_heads=4, num_layers=1, d_ff=64)
    images = torch.randn(4, 1, 8, 8)
    tokens = tokenizer.encode(["a handwritten one", "the digit two", "a scanned three", "the number four in ink"])
    image_emb, text_emb = model.encode_image(images), model.encode_text(tokens)
    torch.testing.assert_close(image_emb.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(model(images, tokens), image_emb @ text_emb.T / model.temperature)
    torch.testing.assert_close(model.loss(images, tokens), clip_loss(image_emb, text_emb, model.temperature))
    assert model.temperature.item() == pytest.approx(0.07)
    # padding is masked: more <pad> at the end leaves a caption's embedding unchanged
    torch.testing.assert_close(model.encode_text(tokenizer.encode(["a handwritten one"], length=12)), text_emb[:1])
    model.loss(images, tokens).backward()
    assert model.log_temperature.grad is not None
    assert all(p.grad is not None for p in model.image_encoder.parameters())
    with pytest.raises(ValueError, match="L <= 16"):
        model.encode_text(torch.ones(1, 17, dtype=torch.long))


@pytest.mark.slow
def test_clip_learns_zero_shot_digits():
    import utils
    from utils.data.digits import load_digit_images

    train_x, train_y, test_x, test_y = load_digit_images()
    tokenizer = WordTokenizer([t.format(n) for t in CAPTION_TEMPLATES for n in DIGIT_NAMES])
    torch.manual_seed(0)
    model = CLIP(len(tokenizer), embed_dim=16, d_model=32, num_heads=4, num_layers=1, d_ff=64)
    g = torch.Generator().manual_seed(0)

    def batch():
        i = torch.randint(0, len(train_y), (64,), generator=g)
        return train_x[i], tokenizer.encode(caption_digits(train_y[i], g), length=8)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is faster than several that wait for each other
    try:
        utils.train(model, batch, lambda m, b: m.loss(*b), steps=300, lr=2e-3, progress=False)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        prompts = model.encode_text(tokenizer.encode([f"a handwritten {name}" for name in DIGIT_NAMES]))
        accuracy = (zero_shot_predict(model.encode_image(test_x), prompts) == test_y).float().mean()
    assert accuracy > 0.6  # chance is 0.1
