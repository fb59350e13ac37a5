"""Checks of lesson 08's generation and training exercises: top-p, the schedule, the training loop."""
import math

import torch
import torch.nn.functional as F

from ...modern import ModernGPT
from ...sampling import top_p_filter
from ...batching import lm_batches
from ...training import warmup_cosine
from ..compare import expect_tensor
from ..core import CheckFailed, Exercise, randint, randn, register


# --- top_p_filter ------------------------------------------------------------------------------------------------

def _top_p_cases(g):
    cases = [{"logits": torch.log(torch.tensor([[0.6, 0.3, 0.07, 0.03]])), "top_p": 0.8},
             {"logits": torch.log(torch.tensor([[0.03, 0.3, 0.07, 0.6]])), "top_p": 0.5, "note": "unsorted"}]
    for p in (0.05, 0.3, 0.9, 0.99, 1.0):
        cases.append({"logits": randn(g, 5, 50, scale=3.0), "top_p": p})
    return cases


def _top_p_variant(logits, p, rule):
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    cumulative = probs.cumsum(dim=-1)
    if rule == "crossing":
        drop_sorted = cumulative > p
    elif rule == "inverted":
        drop_sorted = cumulative < p
    else:  # cumulative sum of the logits themselves
        drop_sorted = (sorted_logits.cumsum(dim=-1) - sorted_logits) >= p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def _top_p_judge(got, case):
    logits, p = case["logits"], case["top_p"]
    expect_tensor(got, top_p_filter(logits, p), f"top_p_filter(logits, {p})", "(B, V)",
                  [(_top_p_variant(logits, p, "crossing"), "the token that crosses top_p is dropped: keep the "
                    "fewest most likely tokens whose probabilities sum to >= top_p, so the crossing one stays"),
                   (_top_p_variant(logits, p, "inverted"), "it keeps the tokens whose cumulative probability is "
                    ">= top_p: those are the ones to drop (the unlikely tail)"),
                   (_top_p_variant(logits, p, "logits"), "the cumulative sum runs over the logits: turn them into "
                    "probabilities (softmax) first")], atol=1e-6, rtol=1e-6)


register(Exercise(
    test="test_top_p_filter", names=("top_p_filter",), cases=_top_p_cases,
    call=lambda f, c: f(c["logits"], c["top_p"]), judge=_top_p_judge,
    forbidden=("top_p_filter", "sampling_probs")))


# --- lr_multiplier ---------------------------------------------------------------------------------------------

def _lr_cases(g):
    cases = [{"warmup_steps": 10, "total_steps": 110, "min_ratio": 0.1}, {"warmup_steps": 1, "total_steps": 50,
                                                                          "min_ratio": 0.0},
             {"warmup_steps": 20, "total_steps": 20, "min_ratio": 0.1}]
    for _ in range(2):
        w = randint(g, 2, 15)
        cases.append({"warmup_steps": w, "total_steps": w + randint(g, 5, 60),
                      "min_ratio": round(float(torch.rand(1, generator=g)) * 0.5, 3)})
    return cases


def _lr_call(f, c):
    w, t, m = c["warmup_steps"], c["total_steps"], c["min_ratio"]
    return torch.tensor([float(f(s, w, t, m)) for s in range(t + 3)], dtype=torch.float64)


def _lr_curve(w, t, m, rule=""):
    values = []
    for s in range(t + 3):
        if s < w:
            values.append(s / w if rule == "warmup" else (s + 1) / w)
            continue
        progress = (s - w) / max(1, t - w)
        if rule != "unclamped":
            progress = min(1.0, progress)
        floor = 0.0 if rule == "floor" else m
        values.append(floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    return torch.tensor(values, dtype=torch.float64)


def _lr_judge(got, case):
    w, t, m = case["warmup_steps"], case["total_steps"], case["min_ratio"]
    expected = torch.tensor([warmup_cosine(s, w, t, m) for s in range(t + 3)], dtype=torch.float64)
    expect_tensor(got, expected, f"lr_multiplier(step, {w}, {t}, {m}) for step = 0 .. {t + 2}", "",
                  [(_lr_curve(w, t, m, "warmup"), "the warm-up is off by one: step s of the warm-up gives "
                    "(s + 1) / warmup_steps, so the first step does not get 0 and the last reaches 1"),
                   (_lr_curve(w, t, m, "floor") if m else None, "there is no floor: the cosine decays to min_ratio, "
                    "min_ratio + (1 - min_ratio) * 0.5 * (1 + cos(pi * progress))"),
                   (_lr_curve(w, t, m, "unclamped"), "after total_steps the cosine rises again: clamp the "
                    "progress at 1 (min(1.0, progress))")], atol=1e-12, rtol=0)


register(Exercise(
    test="test_lr_multiplier", names=("lr_multiplier",), cases=_lr_cases, call=_lr_call, judge=_lr_judge,
    forbidden=("warmup_cosine", "LambdaLR", "lr_scheduler")))


# --- train_lm --------------------------------------------------------------------------------------------------

def _lm_cases(g):
    cases = []
    for clip, warmup in [(0.05, 3), (1.0, 1), (0.2, 4)]:
        cases.append({"seed": randint(g, 0, 2 ** 31), "ids": torch.randint(0, 30, (400,), generator=g),
                      "grad_clip": clip, "warmup_steps": warmup, "lr": 5e-3, "steps": 8})
    return cases


def _lm_model(case):
    torch.manual_seed(case["seed"])
    return ModernGPT(30, 12, 16, 2, 2, 24, num_kv_heads=1)


def _lm_call(f, case):
    model = _lm_model(case)
    losses = f(model, lm_batches(case["ids"], 12, 4, seed=3), steps=case["steps"], lr=case["lr"],
               warmup_steps=case["warmup_steps"], grad_clip=case["grad_clip"])
    return {"losses": torch.tensor([float(v) for v in losses], dtype=torch.float64),
            "params": [p.detach().clone() for p in model.parameters()]}


def _lm_train(case, rule=""):
    model = _lm_model(case)
    steps, lr, warmup, clip = case["steps"], case["lr"], case["warmup_steps"], case["grad_clip"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    batches = lm_batches(case["ids"], 12, 4, seed=3)
    losses = []
    for step in range(steps):
        x, y = batches()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if rule != "no clip":
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        if rule == "no warmup":
            multiplier = warmup_cosine(step, 0, steps)
        elif rule == "after step":
            multiplier = 1.0 if step == 0 else warmup_cosine(step - 1, warmup, steps)
        else:
            multiplier = warmup_cosine(step, warmup, steps)
        if rule != "no schedule":
            for group in optimizer.param_groups:
                group["lr"] = lr * multiplier
        optimizer.step()
        losses.append(loss.item())
    return torch.tensor(losses, dtype=torch.float64), [p.detach() for p in model.parameters()]


def _lm_judge(got, case):
    losses, params = got["losses"], got["params"]
    expected, ref_params = _lm_train(case)
    mistakes = [(_lm_train(case, rule)[0], message) for rule, message in [
        ("no clip", "the gradients are not clipped: torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip) "
                    "after backward, before optimizer.step()"),
        ("no warmup", "there is no warm-up: the learning rate must be lr * lr_multiplier(step, warmup_steps, steps)"),
        ("after step", "the learning rate is set after optimizer.step(): step s must already use "
                       "lr * lr_multiplier(s, ...), so set it before the step"),
        ("no schedule", "the learning rate stays constant: set each param group's lr to "
                        "lr * lr_multiplier(step, warmup_steps, steps) before optimizer.step()")]]
    expect_tensor(losses, expected, f"the {case['steps']} losses", "", mistakes, atol=1e-4, rtol=0)
    if len(params) != len(ref_params):
        raise CheckFailed("the model's parameters changed in number: train the model you are given")
    for number, (p, q) in enumerate(zip(params, ref_params)):
        expect_tensor(p, q, f"parameter {number} after training", "", atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_train_lm", names=("train_lm",), cases=_lm_cases, call=_lm_call, judge=_lm_judge,
    forbidden=("warmup_cosine", "LambdaLR", "lr_scheduler", "History")))
