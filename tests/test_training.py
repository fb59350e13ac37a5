import math

import pytest
import torch
import torch.nn.functional as F

from utils import accuracy, evaluate, seed_everything, train, warmup_cosine
from utils.training import History


def regression_data(n=256):
    x = torch.randn(n, 4)
    return x, x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1


def test_train_reduces_loss_from_a_callable():
    x, y = regression_data()
    model = torch.nn.Linear(4, 1)
    loss_fn = lambda m, b: F.mse_loss(m(b[0]).squeeze(-1), b[1])  # noqa: E731
    history = train(model, lambda: (x, y), loss_fn, steps=200, lr=0.1, progress=False, weight_decay=0.0)
    assert len(history.losses) == len(history.lrs) == 200
    assert history.losses[-1] < 0.01 * history.losses[0]
    assert not model.training


def test_train_cycles_a_dataloader_and_evaluates():
    x, y = regression_data(64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)
    model = torch.nn.Linear(4, 1)
    loss_fn = lambda m, b: F.mse_loss(m(b[0]).squeeze(-1), b[1])  # noqa: E731
    history = train(model, loader, loss_fn, steps=50, eval_fn=lambda m: loss_fn(m, (x, y)),
                    eval_every=20, progress=False)
    assert [step for step, _ in history.evals] == [20, 40, 50]
    assert history.evals[-1][1] < history.evals[0][1]


def test_train_is_reproducible():
    def run():
        seed_everything(3)
        model = torch.nn.Linear(4, 1)
        x, y = regression_data(32)
        train(model, lambda: (x, y), lambda m, b: F.mse_loss(m(b[0]).squeeze(-1), b[1]), 20, progress=False)
        return model.weight.detach().clone()
    torch.testing.assert_close(run(), run(), rtol=0, atol=0)


def test_train_rejects_bad_arguments_and_divergence():
    model = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match="positive"):
        train(model, lambda: None, lambda m, b: m.weight.sum(), steps=0)
    with pytest.raises(ValueError, match="callable"):
        train(model, 5, lambda m, b: m.weight.sum(), steps=1)
    with pytest.raises(FloatingPointError, match="step 0"):
        train(model, lambda: None, lambda m, b: m.weight.sum() * float("nan"), steps=3, progress=False)


def test_warmup_cosine_schedule():
    values = [warmup_cosine(s, 10, 100) for s in range(100)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(values[10:], values[11:]))
    assert values[-1] == pytest.approx(0.1, abs=0.01)


def test_evaluate_restores_mode_and_accuracy_ignores_padding():
    model = torch.nn.Dropout(0.5).train()
    assert evaluate(model, lambda m: torch.tensor(2.0)) == 2.0 and model.training
    logits = torch.tensor([[[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]])
    assert accuracy(logits, torch.tensor([[1, 0, 1]])) == pytest.approx(2 / 3)
    assert accuracy(logits, torch.tensor([[1, 0, -100]]), ignore_index=-100) == 1.0


def test_history_smoothing():
    h = History(losses=[4.0, 2.0, 0.0, 2.0])
    assert h.smoothed(window=2) == [4.0, 3.0, 1.0, 1.0]
    assert not any(math.isnan(v) for v in h.smoothed(10))
