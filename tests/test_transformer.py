import pytest
import torch
import torch.nn.functional as F

from utils import Transformer, seed_everything, train

PAD, BOS, EOS = 0, 1, 2


def copy_task_batch(batch_size=32, length=6, vocab=12):
    """Source: random tokens 3..vocab-1, variable length, padded. Target: the same, between BOS and EOS."""
    lengths = torch.randint(2, length + 1, (batch_size,))
    src = torch.full((batch_size, length), PAD)
    tgt = torch.full((batch_size, length + 2), PAD)
    for i, n in enumerate(lengths):
        tokens = torch.randint(3, vocab, (n,))
        src[i, :n] = tokens
        tgt[i, 0], tgt[i, 1:n + 1], tgt[i, n + 1] = BOS, tokens, EOS
    return src, tgt


def seq2seq_loss(model, batch):
    src, tgt = batch
    logits = model(src, tgt[:, :-1])
    return F.cross_entropy(logits.transpose(1, 2), tgt[:, 1:], ignore_index=PAD)


def test_forward_shapes_and_errors():
    model = Transformer(20, 30, d_model=32, num_heads=4, num_layers=1, d_ff=64, max_len=16)
    src, tgt = torch.randint(3, 20, (2, 7)), torch.randint(3, 30, (2, 5))
    assert model(src, tgt).shape == (2, 5, 30)
    with pytest.raises(ValueError, match="max_len=16"):
        model(torch.randint(3, 20, (2, 17)), tgt)
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        model(torch.randint(3, 20, (7,)), tgt)
    with pytest.raises(ValueError, match="integer"):
        model(src.float(), tgt)
    with pytest.raises(ValueError, match=r"\[0, 20\)"):
        model(src + 20, tgt)


def test_padding_does_not_change_real_positions():
    model = Transformer(20, 20, d_model=32, num_heads=4, num_layers=2, d_ff=64, dropout=0.0).eval()
    src = torch.tensor([[5, 6, 7, 0, 0]])
    tgt = torch.tensor([[1, 8, 9]])
    short = model(src[:, :3], tgt)
    padded = model(src, tgt)
    torch.testing.assert_close(short, padded, atol=1e-5, rtol=1e-5)


def test_decoder_is_causal():
    model = Transformer(20, 20, d_model=32, num_heads=4, num_layers=2, d_ff=64, dropout=0.0).eval()
    src = torch.randint(3, 20, (1, 5))
    a = model(src, torch.tensor([[1, 4, 5, 6]]))
    b = model(src, torch.tensor([[1, 4, 9, 9]]))
    torch.testing.assert_close(a[:, :2], b[:, :2])
    assert not torch.allclose(a[:, 2:], b[:, 2:])


@pytest.mark.slow  # trains to convergence: part of the full run, not the quick loop
def test_overfits_copy_task_and_greedy_decodes():
    seed_everything(0)
    model = Transformer(12, 12, d_model=64, num_heads=4, num_layers=2, d_ff=128, dropout=0.0, max_len=16)
    history = train(model, copy_task_batch, seq2seq_loss, steps=300, lr=3e-3, progress=False)
    assert history.losses[-1] < 0.1 < history.losses[0]
    src, tgt = copy_task_batch(64)
    out = model.greedy_decode(src, BOS, EOS, max_len=tgt.size(1) - 1)
    correct = sum(torch.equal(o[: (t != PAD).sum()], t[t != PAD]) for o, t in zip(out, tgt))
    assert correct / len(tgt) >= 0.95, correct
    assert (out[:, 0] == BOS).all()


def test_greedy_decode_pads_after_eos():
    model = Transformer(10, 10, d_model=16, num_heads=2, num_layers=1, d_ff=32)
    with torch.no_grad():  # a decoder that always says EOS
        model.generator.weight.zero_()
        model.generator.bias.fill_(0)
        model.generator.bias[EOS] = 5
    out = model.greedy_decode(torch.randint(3, 10, (3, 4)), BOS, EOS, max_len=6)
    assert out.tolist() == [[BOS, EOS]] * 3


def test_model_runs_on_device(device):
    model = Transformer(12, 12, d_model=32, num_heads=4, num_layers=1, d_ff=64).to(device)
    src, tgt = (t.to(device) for t in copy_task_batch(4))
    loss = seq2seq_loss(model, (src, tgt))
    loss.backward()
    assert loss.device.type == device.type and torch.isfinite(loss)
