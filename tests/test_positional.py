import math

import pytest
import torch

from utils import PositionalEncoding, sinusoidal_positional_encoding


@pytest.mark.parametrize("d_model", [8, 7])
def test_formula(d_model):
    pe = sinusoidal_positional_encoding(20, d_model)
    assert pe.shape == (20, d_model)
    for p in (0, 1, 7, 19):
        for j in range(d_model):
            i2 = j - j % 2  # the even index 2i shared by columns 2i and 2i+1
            angle = p / 10000 ** (i2 / d_model)
            expected = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert pe[p, j].item() == pytest.approx(expected, abs=1e-5)


def test_module_adds_table_and_keeps_dtype():
    module = PositionalEncoding(16, max_len=50)
    x = torch.randn(2, 10, 16, dtype=torch.float64)
    out = module(x)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out - x, sinusoidal_positional_encoding(10, 16).double().expand(2, -1, -1))
    assert "pe" not in module.state_dict()  # recomputed, never stale in a checkpoint


def test_errors():
    module = PositionalEncoding(16, max_len=8)
    with pytest.raises(ValueError, match="max_len=8"):
        module(torch.randn(1, 9, 16))
    with pytest.raises(ValueError, match="d_model=16"):
        module(torch.randn(1, 4, 12))
    with pytest.raises(ValueError, match="positive"):
        sinusoidal_positional_encoding(0, 4)
