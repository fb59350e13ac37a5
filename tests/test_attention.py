import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from utils import MultiHeadAttention, causal_mask, padding_mask, scaled_dot_product_attention
from twins import mha_into_torch


def random_qkv(*batch, lq=5, lk=7, d_k=8, d_v=6, dtype=torch.float32, device="cpu"):
    q = torch.randn(*batch, lq, d_k, dtype=dtype, device=device)
    k = torch.randn(*batch, lk, d_k, dtype=dtype, device=device)
    v = torch.randn(*batch, lk, d_v, dtype=dtype, device=device)
    return q, k, v


# ---------------------------------------------------------------- scaled dot-product attention
def test_sdpa_matches_pytorch(device):
    q, k, v = random_qkv(2, 3, device=device)
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5, device=device))
    assert weights.shape == (2, 3, 5, 7)


@pytest.mark.parametrize("mask_shape", [(5, 7), (2, 1, 5, 7), (2, 3, 1, 7), (1, 7)])
def test_sdpa_mask_matches_pytorch(mask_shape):
    q, k, v = random_qkv(2, 3)
    mask = torch.rand(mask_shape) > 0.3
    mask[..., 0] = True  # every row keeps a key, so PyTorch's kernel gives no NaN to compare with
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-5, rtol=1e-5)
    assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


def test_sdpa_fully_masked_row_is_zero_not_nan():
    q, k, v = random_qkv(4)
    for t in (q, k, v):
        t.requires_grad_(True)
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[2] = False
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    assert (out[:, 2] == 0).all() and (weights[:, 2] == 0).all()
    torch.testing.assert_close(weights[:, [0, 1, 3, 4]].sum(-1), torch.ones(4, 4))
    out.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in (q, k, v))


def test_sdpa_causal_mask_hides_the_future():
    q, k, v = random_qkv(1, lq=6, lk=6)
    out, weights = scaled_dot_product_attention(q, k, v, mask=causal_mask(6))
    assert torch.equal(weights.triu(1), torch.zeros_like(weights))
    # Changing a later value never changes an earlier output.
    v2 = v.clone()
    v2[:, 4:] += 10
    out2, _ = scaled_dot_product_attention(q, k, v2, mask=causal_mask(6))
    torch.testing.assert_close(out[:, :4], out2[:, :4])
    assert not torch.allclose(out[:, 4:], out2[:, 4:])


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_sdpa_preserves_dtype(dtype):
    q, k, v = random_qkv(2, dtype=dtype)
    out, weights = scaled_dot_product_attention(q, k, v)
    assert out.dtype == dtype and weights.dtype == dtype


def test_sdpa_gradcheck():
    q, k, v = (t.requires_grad_(True) for t in random_qkv(2, lq=3, lk=4, d_k=3, d_v=2, dtype=torch.float64))
    mask = torch.tensor([[True, False, True, True], [True, True, False, False], [False] * 4])
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask)[0], (q, k, v))


def test_sdpa_dropout_only_in_output():
    q, k, v = random_qkv(3)
    torch.manual_seed(1)
    out, weights = scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))
    assert not torch.allclose(out, weights @ v)


def test_sdpa_errors():
    q, k, v = random_qkv(2)
    with pytest.raises(ValueError, match="last dimension"):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match="same length"):
        scaled_dot_product_attention(q, k, v[:, :3])
    with pytest.raises(ValueError, match="bool"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 7))
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 6, dtype=torch.bool))
    with pytest.raises(ValueError, match="broadcast"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(3, 2, 5, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match="at least 2"):
        scaled_dot_product_attention(torch.randn(8), k, v)


# ---------------------------------------------------------------- masks
def test_causal_mask():
    m = causal_mask(4)
    assert m.dtype == torch.bool and m.shape == (4, 4)
    assert m.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]


def test_padding_mask():
    tokens = torch.tensor([[5, 6, 0, 0], [7, 0, 0, 0]])
    m = padding_mask(tokens, pad_id=0)
    assert m.shape == (2, 1, 1, 4) and m.dtype == torch.bool
    assert m[:, 0, 0].tolist() == [[True, True, False, False], [True, False, False, False]]
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        padding_mask(torch.tensor([1, 2, 0]), 0)


# ---------------------------------------------------------------- multi-head attention
def make_pair(d_model=32, heads=4, bias=True):
    ours = MultiHeadAttention(d_model, heads, bias=bias)
    theirs = nn.MultiheadAttention(d_model, heads, batch_first=True)
    mha_into_torch(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_matches_pytorch_self_attention(need_weights):
    ours, theirs = make_pair()
    x = torch.randn(3, 6, 32)
    expected, expected_w = theirs(x, x, x, need_weights=True, average_attn_weights=False)
    got = ours(x, x, x, need_weights=need_weights)
    if need_weights:
        got, w = got
        torch.testing.assert_close(w, expected_w, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_mha_matches_pytorch_cross_attention_with_masks():
    ours, theirs = make_pair()
    q, kv = torch.randn(2, 4, 32), torch.randn(2, 9, 32)
    src = torch.tensor([[3, 4, 5, 6, 7, 8, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9, 1, 2]])
    mask = padding_mask(src, pad_id=0)  # (2, 1, 1, 9)
    expected, _ = theirs(q, kv, kv, key_padding_mask=~mask[:, 0, 0], need_weights=False)
    torch.testing.assert_close(ours(q, kv, kv, mask=mask), expected, atol=1e-5, rtol=1e-5)
    x = torch.randn(2, 5, 32)
    expected, _ = theirs(x, x, x, attn_mask=~causal_mask(5), need_weights=False)
    torch.testing.assert_close(ours(x, x, x, mask=causal_mask(5)), expected, atol=1e-5, rtol=1e-5)


def test_mha_fused_and_explicit_paths_agree(device):
    mha = MultiHeadAttention(48, 6).to(device)
    x = torch.randn(2, 10, 48, device=device)
    mask = (torch.rand(2, 1, 10, 10, device=device) > 0.5) | causal_mask(10, device)
    mask[0, 0, 3] = False  # one fully masked query row
    fused = mha(x, x, x, mask=mask)
    explicit, weights = mha(x, x, x, mask=mask, need_weights=True)
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=1e-5)
    assert weights.shape == (2, 6, 10, 10)
    assert torch.isfinite(fused).all()
    torch.testing.assert_close(fused[0, 3], mha.out_proj.bias)  # zero attention output, then out_proj


def test_mha_fully_masked_rows_have_finite_gradients():
    mha = MultiHeadAttention(16, 2)
    x = torch.randn(2, 4, 16, requires_grad=True)
    mask = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    mha(x, x, x, mask=mask).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_mha_gradcheck():
    mha = MultiHeadAttention(8, 2).double()
    x = torch.randn(2, 3, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: mha(t, t, t, mask=causal_mask(3)), (x,))
    assert torch.autograd.gradcheck(lambda t: mha(t, t, t, mask=causal_mask(3), need_weights=True)[0], (x,))


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_mha_preserves_dtype(dtype):
    mha = MultiHeadAttention(16, 4).to(dtype)
    x = torch.randn(2, 3, 16, dtype=dtype)
    assert mha(x, x, x).dtype == dtype
    assert mha(x, x, x, need_weights=True)[1].dtype == dtype


def test_mha_dropout_only_when_training():
    mha = MultiHeadAttention(16, 4, dropout=0.5)
    x = torch.randn(2, 6, 16)
    mha.eval()
    torch.testing.assert_close(mha(x, x, x), mha(x, x, x))
    mha.train()
    assert not torch.allclose(mha(x, x, x), mha(x, x, x))


def test_mha_without_bias():
    mha = MultiHeadAttention(16, 4, bias=False)
    assert all(p.bias is None for p in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj))


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(30, 4)
    mha = MultiHeadAttention(16, 4)
    with pytest.raises(ValueError, match="d_model=16"):
        mha(torch.randn(2, 3, 8), torch.randn(2, 3, 16), torch.randn(2, 3, 16))
    with pytest.raises(ValueError, match=r"\(B, L, d_model"):
        mha(torch.randn(3, 16), torch.randn(3, 16), torch.randn(3, 16))
    x = torch.randn(2, 3, 16)
    with pytest.raises(ValueError, match="bool"):
        mha(x, x, x, mask=torch.ones(3, 3))
    with pytest.raises(ValueError, match="broadcast"):
        mha(x, x, x, mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="key and value"):
        mha(x, x, torch.randn(2, 5, 16))


# -------------------------------------------------------------------------------- cache, causal, capture

def test_causal_mask_with_a_cached_past():
    mask = causal_mask(3, past=4)  # the last 3 of 7 positions
    assert mask.shape == (3, 7)
    assert torch.equal(mask, causal_mask(7)[4:])
    assert torch.equal(causal_mask(5, past=0), torch.ones(5, 5, dtype=torch.bool).tril())


def test_padding_mask_from_an_attention_mask():
    attention_mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    tokens = torch.tensor([[5, 6, 0], [7, 0, 0]])
    assert torch.equal(padding_mask(attention_mask), padding_mask(tokens, 0))
    assert padding_mask(attention_mask).shape == (2, 1, 1, 3)


def test_mha_causal_equals_an_explicit_causal_mask_and_the_cache_equals_the_full_pass():
    from utils.attention import LayerKVCache

    mha = MultiHeadAttention(16, 4).eval()
    x = torch.randn(2, 7, 16)
    full = mha(x, x, x, mask=causal_mask(7))
    torch.testing.assert_close(mha(x, x, x, causal=True), full, atol=1e-6, rtol=1e-5)
    _, weights = mha(x, x, x, causal=True, need_weights=True)
    assert torch.all(weights.triu(1) == 0)
    cache = LayerKVCache()
    pieces = [mha(x[:, :3], x[:, :3], x[:, :3], cache=cache, causal=True)]  # a prompt, then 2 + 1 + 1 tokens
    for start, end in ((3, 5), (5, 6), (6, 7)):
        new = x[:, start:end]
        pieces.append(mha(new, new, new, cache=cache, causal=True))
    assert len(cache) == 7 and cache.keys.shape == (2, 4, 7, 4)
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="not both"):
        mha(x, x, x, mask=causal_mask(7), causal=True)


def test_capture_attention_records_every_layer_without_changing_the_output():
    from utils import Encoder
    from utils.attention import capture_attention

    encoder = Encoder(3, 16, 4, 32, dropout=0.0).eval()
    x = torch.randn(2, 5, 16)
    expected = encoder(x)
    with capture_attention(encoder.layers) as weights:
        out = encoder(x)
    torch.testing.assert_close(out, expected)
    assert len(weights) == 3 and weights[0].shape == (2, 4, 5, 5)
    torch.testing.assert_close(weights[0].sum(-1), torch.ones(2, 4, 5))
    encoder(x)
    assert len(weights) == 3  # the hooks are gone after the block
