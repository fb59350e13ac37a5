"""utils.gpt's GPT and utils.bert's MaskedLM: checked against PyTorch's own layers, the KV cache against the
full forward pass, and the sampling rule against Hugging Face's logits warpers."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils import seed_everything, train
from utils.attention import KVCache
from utils.batching import IGNORE_INDEX
from utils.bert import MaskedLM
from utils.gpt import GPT, GPTBlock, TokenPositionEmbedding
from utils.losses import lm_loss, mlm_loss
from utils.sampling import next_token_probs, sample_next_token

from twins import encoder_layer_into_torch


def small_gpt(vocab_size=50, block_size=16, dropout=0.0, num_layers=2):
    return GPT(vocab_size, block_size, d_model=32, num_heads=4, num_layers=num_layers, d_ff=64, dropout=dropout)


def torch_twin_of(model):
    """The same network built from nn.TransformerEncoderLayer (pre-norm, GELU) with a causal mask,
    sharing embeddings, final norm and head with `model`, its layers holding copies of its weights."""
    first = model.blocks[0]
    d_model, num_heads = first.self_attn.d_model, first.self_attn.num_heads
    d_ff = first.feed_forward.linear1.out_features
    layers = nn.ModuleList(
        nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0.0, activation="gelu",
                                   batch_first=True, norm_first=True)
        for _ in model.blocks
    )
    for ours, theirs in zip(model.blocks, layers):
        encoder_layer_into_torch(ours, theirs)

    def forward(idx):
        T = idx.size(1)
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        x = model.embed(idx)
        for layer in layers:
            x = layer(x, src_mask=mask, is_causal=True)
        return model.lm_head(model.norm(x))

    return forward


# -------------------------------------------------------------------------------- shapes and errors

def test_forward_shape_and_weight_tying(device):
    model = small_gpt().to(device)
    idx = torch.randint(0, 50, (3, 16), device=device)
    assert model(idx).shape == (3, 16, 50)
    assert model.lm_head.weight is model.embed.token.weight
    # one matrix, counted once
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in set(model.parameters()))


@pytest.mark.parametrize("idx, match", [
    (torch.randint(0, 50, (16,)), r"\(B, T\)"),
    (torch.rand(2, 5), "integer"),
    (torch.randint(0, 50, (2, 17)), "block_size"),
    (torch.full((2, 5), 50), r"\[0, 50\)"),
    (torch.full((2, 5), -1), r"\[0, 50\)"),
    (torch.zeros(2, 0, dtype=torch.long), "at least one token"),
])
def test_forward_rejects_bad_token_ids(idx, match):
    with pytest.raises(ValueError, match=match):
        small_gpt()(idx)


@pytest.mark.parametrize("kwargs, match", [
    (dict(vocab_size=0), "vocab_size"),
    (dict(block_size=0), "block_size"),
    (dict(num_layers=0), "num_layers"),
    (dict(d_model=30), "divisible"),
])
def test_constructor_rejects_bad_sizes(kwargs, match):
    args = dict(vocab_size=50, block_size=16, d_model=32, num_heads=4, num_layers=2, d_ff=64) | kwargs
    with pytest.raises(ValueError, match=match):
        GPT(**args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(temperature=-1.0), "temperature"),
    (dict(top_k=0), "top_k"),
    (dict(top_k=2.5), "top_k"),
    (dict(max_new_tokens=-1), "max_new_tokens"),
])
def test_generate_rejects_bad_settings(kwargs, match):
    args = dict(max_new_tokens=3) | kwargs
    with pytest.raises(ValueError, match=match):
        small_gpt().generate(torch.zeros(1, 2, dtype=torch.long), **args)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        small_gpt().generate(torch.zeros(2, dtype=torch.long), 3)


def test_cache_past_block_size_is_an_error():
    model = small_gpt(block_size=8).eval()
    cache = KVCache(len(model.blocks))
    model(torch.zeros(1, 6, dtype=torch.long), cache)
    with pytest.raises(ValueError, match="after 6 cached tokens"):
        model(torch.zeros(1, 3, dtype=torch.long), cache)


# -------------------------------------------------------------------------------- against PyTorch

def test_block_equals_pre_norm_torch_encoder_layer_with_causal_mask():
    ours = GPTBlock(32, 4, 64).eval()
    theirs = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu",
                                        batch_first=True, norm_first=True).eval()
    encoder_layer_into_torch(ours, theirs)
    x = torch.randn(3, 11, 32)
    mask = nn.Transformer.generate_square_subsequent_mask(11)
    torch.testing.assert_close(ours(x), theirs(x, src_mask=mask, is_causal=True), atol=1e-5, rtol=1e-4)


def test_gpt_equals_its_torch_twin_in_training_mode_gradients_included():
    model = small_gpt()
    idx = torch.randint(0, 50, (4, 16))
    twin = torch_twin_of(model)
    torch.testing.assert_close(model(idx), twin(idx), atol=1e-5, rtol=1e-4)
    (g_ours,) = torch.autograd.grad(model(idx).square().sum(), model.embed.position.weight)
    (g_twin,) = torch.autograd.grad(twin(idx).square().sum(), model.embed.position.weight)
    torch.testing.assert_close(g_ours, g_twin, atol=1e-4, rtol=1e-4)


def test_causal_the_past_never_sees_the_future():
    model = small_gpt().eval()
    a = torch.randint(0, 50, (1, 10))
    b = a.clone()
    b[0, 6:] = (b[0, 6:] + 1) % 50
    out_a, out_b = model(a), model(b)
    torch.testing.assert_close(out_a[:, :6], out_b[:, :6])
    assert not torch.allclose(out_a[:, 6:], out_b[:, 6:])


def test_initialisation_follows_gpt2():
    model = GPT(100, 16, d_model=64, num_heads=4, num_layers=8, d_ff=256)
    assert abs(model.embed.token.weight.std().item() - 0.02) < 0.002
    out_proj = model.blocks[0].self_attn.out_proj.weight
    assert abs(out_proj.std().item() - 0.02 / 4) < 0.001  # 0.02 / sqrt(2 * 8)
    assert model.blocks[0].feed_forward.linear1.bias.abs().max() == 0


# -------------------------------------------------------------------------------- KV cache

def test_cached_logits_equal_full_forward_at_every_step(device):
    model = small_gpt(block_size=20).to(device).eval()
    idx = torch.randint(0, 50, (2, 20), device=device)
    full = model(idx)
    cache = KVCache(len(model.blocks))
    pieces = [model(idx[:, :5], cache)]  # a prompt of 5, then one token at a time
    for t in range(5, 20):
        pieces.append(model(idx[:, t:t + 1], cache))
    assert len(cache) == 20
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("prompt_length, new_tokens", [(1, 30), (5, 8), (12, 40), (25, 10)])
def test_greedy_generation_is_the_same_with_and_without_cache(prompt_length, new_tokens):
    # block_size 16: (12, 40) and (25, 10) run past it, so the context is cropped and slides
    seed_everything(1)
    model = small_gpt(block_size=16)
    idx = torch.randint(0, 50, (3, prompt_length))
    with_cache = model.generate(idx, new_tokens, temperature=0, use_cache=True)
    without = model.generate(idx, new_tokens, temperature=0, use_cache=False)
    assert with_cache.shape == (3, prompt_length + new_tokens)
    assert torch.equal(with_cache[:, :prompt_length], idx)
    assert torch.equal(with_cache, without)


def test_greedy_without_cache_equals_a_brute_force_loop():
    model = small_gpt(block_size=8).eval()
    idx = torch.randint(0, 50, (2, 3))
    expected = idx
    for _ in range(12):
        logits = model(expected[:, -8:])[:, -1]
        expected = torch.cat([expected, logits.argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(model.generate(idx, 12, temperature=0, use_cache=False), expected)


def test_sampling_is_repeatable_with_a_generator_and_matches_without_cache():
    model = small_gpt(dropout=0.3)
    model.train()
    idx = torch.zeros(4, 1, dtype=torch.long)
    a = model.generate(idx, 30, temperature=1.2, top_k=10, generator=torch.Generator().manual_seed(3))
    b = model.generate(idx, 30, temperature=1.2, top_k=10, generator=torch.Generator().manual_seed(3),
                       use_cache=False)
    assert torch.equal(a, b)
    assert model.training, "generate must restore training mode"
    assert model.generate(idx, 0).shape == (4, 1)


# -------------------------------------------------------------------------------- sampling rule

def test_next_token_probs_matches_hugging_face_warpers():
    transformers = pytest.importorskip("transformers")
    logits = torch.randn(5, 40)
    for temperature, top_k in [(1.0, None), (0.7, 5), (1.5, 1), (0.3, 40), (2.0, 100)]:
        warped = logits.clone()
        warped = transformers.TemperatureLogitsWarper(temperature)(None, warped)
        if top_k is not None:
            warped = transformers.TopKLogitsWarper(top_k)(None, warped)
        torch.testing.assert_close(next_token_probs(logits, temperature, top_k), warped.softmax(-1))


def test_next_token_probs_edge_cases():
    logits = torch.tensor([[1.0, 3.0, 3.0, 0.0]])
    torch.testing.assert_close(next_token_probs(logits, 0), torch.tensor([[0.0, 1.0, 0.0, 0.0]]))
    two = next_token_probs(logits, 1.0, top_k=1)  # a tie with the k-th largest is kept
    torch.testing.assert_close(two, torch.tensor([[0.0, 0.5, 0.5, 0.0]]))
    with pytest.raises(ValueError, match="vocab_size"):
        next_token_probs(torch.randn(4), 1.0)


def test_sample_next_token_follows_the_distribution():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, -3.0]]).expand(20000, 5)
    draws = sample_next_token(logits, temperature=0.8, top_k=3, generator=torch.Generator().manual_seed(0))
    assert draws.shape == (20000, 1)
    freq = torch.bincount(draws.flatten(), minlength=5).float() / 20000
    torch.testing.assert_close(freq, next_token_probs(logits[:1], 0.8, 3)[0], atol=0.015, rtol=0)


# -------------------------------------------------------------------------------- learning

@pytest.mark.slow  # trains to convergence: part of the full run, not the quick loop
def test_gpt_learns_to_continue_a_repeating_text():
    seed_everything(0)
    pattern = torch.tensor([3, 7, 1, 4, 1, 5, 9, 2, 6])
    data = pattern.repeat(30)
    model = small_gpt(vocab_size=10, block_size=12)

    def batch():
        starts = torch.randint(0, len(data) - 13, (16,))
        chunk = torch.stack([data[s:s + 13] for s in starts])
        return chunk[:, :-1], chunk[:, 1:]

    history = train(model, batch, lm_loss, steps=150, lr=1e-2, progress=False)
    assert history.losses[-1] < 0.1
    out = model.generate(pattern[None, :3], 20, temperature=0)
    assert torch.equal(out[0], data[:23])


# -------------------------------------------------------------------------------- MaskedLM

def test_masked_lm_reads_both_directions_and_ignores_padding():
    model = MaskedLM(30, 12, d_model=32, num_heads=4, num_layers=2, d_ff=64).eval()
    a = torch.randint(2, 30, (1, 8))
    b = a.clone()
    b[0, 6] = (b[0, 6] + 1) % 30
    assert not torch.allclose(model(a)[:, :6], model(b)[:, :6]), "earlier tokens must see later ones"
    padded = torch.cat([a, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    other = torch.cat([a, torch.randint(2, 30, (1, 3))], dim=1)
    keep = torch.tensor([[1] * 8 + [0] * 3])
    torch.testing.assert_close(model(padded, keep)[:, :8], model(other, keep)[:, :8])
    torch.testing.assert_close(model(padded, keep)[:, :8], model(a), atol=1e-5, rtol=1e-4)
    assert model.lm_head.weight is model.embed.token.weight
    with pytest.raises(ValueError, match="attention_mask"):
        model(a, torch.ones(1, 7))


def test_masked_lm_equals_torch_encoder_without_mask():
    model = MaskedLM(30, 12, d_model=32, num_heads=4, num_layers=2, d_ff=64)
    layers = []
    for ours in model.encoder.layers:
        theirs = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu", batch_first=True,
                                            norm_first=True)
        encoder_layer_into_torch(ours, theirs)
        layers.append(theirs)
    idx = torch.randint(0, 30, (2, 12))
    x = model.embed(idx)
    for layer in layers:
        x = layer(x)
    expected = model.lm_head(model.encoder.norm(x))
    torch.testing.assert_close(model(idx), expected, atol=1e-5, rtol=1e-4)


@pytest.mark.slow  # trains to convergence: part of the full run, not the quick loop
def test_masked_lm_learns_to_fill_a_blank():
    # Sequences "a b a b ..." with random a, b: a blank is recoverable from either neighbour.
    seed_everything(0)
    model = MaskedLM(12, 10, d_model=32, num_heads=4, num_layers=2, d_ff=64)
    MASK = 1

    def batch():
        pair = torch.randint(2, 12, (32, 2))
        tokens = pair.repeat(1, 5)
        chosen = torch.rand(tokens.shape) < 0.2
        return tokens.masked_fill(chosen, MASK), tokens.masked_fill(~chosen, IGNORE_INDEX)

    train(model, batch, mlm_loss, steps=200, lr=5e-3, progress=False)
    tokens = torch.tensor([[4, 9] * 5])
    blanked = tokens.clone()
    blanked[0, [0, 5]] = MASK
    assert model(blanked).argmax(-1)[0, [0, 5]].tolist() == [4, 9]


def test_token_position_embedding_offsets_positions():
    embed = TokenPositionEmbedding(10, 8, 4)
    idx = torch.tensor([[1, 2, 3]])
    torch.testing.assert_close(embed(idx, start=5)[0, 0], embed.token.weight[1] + embed.position.weight[5])
    assert F.mse_loss(embed(idx)[0, 0], embed.token.weight[1] + embed.position.weight[0]) == 0
