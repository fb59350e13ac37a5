import pytest
import torch
import torch.nn as nn

from utils import Decoder, DecoderLayer, Encoder, EncoderLayer, FeedForward, causal_mask, padding_mask
from twins import decoder_layer_into_torch, encoder_layer_into_torch

D, H, FF = 32, 4, 64


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_pytorch(norm_first):
    ours = EncoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first)
    theirs = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    encoder_layer_into_torch(ours, theirs)
    x = torch.randn(3, 7, D)
    tokens = torch.tensor([[1] * 7, [1] * 5 + [0] * 2, [1] * 2 + [0] * 5])
    mask = padding_mask(tokens, 0)
    for model in (ours, theirs):
        model.train()  # PyTorch's inference fast path is a different kernel; compare the maths
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(
        ours(x, mask=mask), theirs(x, src_key_padding_mask=~mask[:, 0, 0]), atol=1e-5, rtol=1e-5
    )
    torch.testing.assert_close(
        ours(x, mask=causal_mask(7)), theirs(x, src_mask=~causal_mask(7)), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_pytorch(norm_first):
    ours = DecoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first)
    theirs = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    decoder_layer_into_torch(ours, theirs)
    x, memory = torch.randn(2, 5, D), torch.randn(2, 8, D)
    src = torch.tensor([[4] * 8, [4] * 3 + [0] * 5])
    src_mask = padding_mask(src, 0)
    got = ours(x, memory, tgt_mask=causal_mask(5), memory_mask=src_mask)
    expected = theirs(x, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~src_mask[:, 0, 0])
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_pytorch(norm_first):
    ours = Encoder(3, D, H, FF, dropout=0.0, norm_first=norm_first)
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=norm_first)
    theirs = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(D) if norm_first else None,
                                   enable_nested_tensor=False)
    for a, b in zip(ours.layers, theirs.layers):
        encoder_layer_into_torch(a, b)
    if norm_first:
        theirs.norm.load_state_dict(ours.norm.state_dict())
    else:
        assert ours.norm is None
    x = torch.randn(2, 6, D)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_decoder_stack_matches_pytorch():
    ours = Decoder(2, D, H, FF, dropout=0.0, norm_first=True)
    layer = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, batch_first=True, norm_first=True)
    theirs = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(D))
    for a, b in zip(ours.layers, theirs.layers):
        decoder_layer_into_torch(a, b)
    theirs.norm.load_state_dict(ours.norm.state_dict())
    x, memory = torch.randn(2, 5, D), torch.randn(2, 6, D)
    torch.testing.assert_close(
        ours(x, memory, tgt_mask=causal_mask(5)), theirs(x, memory, tgt_mask=~causal_mask(5)), atol=1e-5, rtol=1e-5
    )


def test_gelu_layer_matches_pytorch():
    ours = EncoderLayer(D, H, FF, dropout=0.0, activation="gelu", layer_norm_eps=1e-12)
    theirs = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, batch_first=True, activation="gelu",
                                        layer_norm_eps=1e-12)
    encoder_layer_into_torch(ours, theirs)
    x = torch.randn(2, 4, D)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_layers_gradcheck():
    layer = DecoderLayer(8, 2, 16, dropout=0.0).double()
    x = torch.randn(1, 3, 8, dtype=torch.float64, requires_grad=True)
    memory = torch.randn(1, 4, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, m: layer(a, m, tgt_mask=causal_mask(3)), (x, memory))


def test_layers_on_device_keep_dtype(device):
    layer = EncoderLayer(D, H, FF).to(device, torch.float64)
    out = layer(torch.randn(2, 3, D, device=device, dtype=torch.float64))
    assert out.dtype == torch.float64 and out.device.type == device.type


def test_feed_forward_is_positionwise():
    ff = FeedForward(D, FF)
    x = torch.randn(2, 5, D)
    torch.testing.assert_close(ff(x)[:, 2], ff(x[:, 2:3])[:, 0])
    with pytest.raises(ValueError, match="activation"):
        FeedForward(D, FF, activation="swish")
