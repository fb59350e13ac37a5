"""Checks of lesson 01's RNN exercises: one step, its unrolling, input-gradient norms, gradient clipping."""
import torch
import torch.nn as nn

from ..compare import expect_tensor, expect_tuple
from ..core import CheckFailed, Exercise, randn, register


def _uniform(g, *shape, low=-1.0, high=1.0):
    return low + (high - low) * torch.rand(*shape, generator=g)


# --- rnn_cell_step ---------------------------------------------------------------------------------------

def _cell_weights(g, d_in, d_hidden, bias=1.0):
    bound = d_hidden ** -0.5  # nn.RNNCell's own initialisation range
    return {"W_ih": _uniform(g, d_hidden, d_in, low=-bound, high=bound),
            "W_hh": _uniform(g, d_hidden, d_hidden, low=-bound, high=bound),
            "b_ih": _uniform(g, d_hidden, low=-bias, high=bias), "b_hh": _uniform(g, d_hidden, low=-bias, high=bias)}


def _step_cases(g):
    cases = []
    for batch, d_in, d_hidden, bias in [(2, 4, 3, 0.5), (1, 1, 1, 2.0), (5, 7, 11, 2.0), (3, 16, 2, 2.0),
                                        (4, 5, 5, 1.0)]:
        case = {"x": randn(g, batch, d_in), "h": randn(g, batch, d_hidden, scale=3.0 if batch > 2 else 1.0)}
        case["weights"] = _cell_weights(g, d_in, d_hidden, bias)
        if d_in == d_hidden > 1:
            case["note"] = "D == H"
        cases.append(case)
    return cases


def _step(c, act=torch.tanh, W_ih=None, W_hh=None, b_ih=True, b_hh=True):
    c = {**c, **c["weights"]}
    W_ih = c["W_ih"].T if W_ih is None else W_ih
    W_hh = c["W_hh"].T if W_hh is None else W_hh
    z = c["x"] @ W_ih + c["h"] @ W_hh
    z = z + (c["b_ih"] if b_ih else 0) + (c["b_hh"] if b_hh else 0)
    return act(z)


def _step_judge(got, c):
    w = c["weights"]
    square = w["W_ih"].size(0) == w["W_ih"].size(1)
    mistakes = [
        (_step(c, b_hh=False), "b_hh is missing: the step adds both biases, b_ih and b_hh"),
        (_step(c, b_ih=False), "b_ih is missing: the step adds both biases, b_ih and b_hh"),
        (_step(c, b_ih=False, b_hh=False), "both biases are missing: add b_ih and b_hh"),
        (_step(c, act=lambda z: z), "no tanh: the new state is tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)"),
        (_step(c, act=torch.sigmoid), "sigmoid instead of tanh: an RNN cell squashes with tanh"),
        (_step(c, act=torch.relu), "ReLU instead of tanh: nn.RNNCell's default nonlinearity is tanh"),
        (_step(c, W_hh=w["W_hh"]), "h is multiplied by W_hh, not by W_hh.T (W_hh is (H, H): the shapes fit "
         "either way, so only the values show it): use h @ W_hh.T"),
    ]
    if square:
        mistakes.append((_step(c, W_ih=w["W_ih"]), "x is multiplied by W_ih, not by W_ih.T: W_ih is (H, D), "
                         "so use x @ W_ih.T"))
        mistakes.append((_step(c, W_ih=w["W_ih"], W_hh=w["W_hh"]), "the weights are not transposed: W_ih is (H, D) "
                         "and W_hh is (H, H), so use x @ W_ih.T and h @ W_hh.T"))
    expect_tensor(got, _step(c), "the new hidden state", "(B, H)", mistakes, atol=1e-5, rtol=1e-4)


def _step_hint(case, error):
    return ("shapes: x is (B, D), W_ih is (H, D), h is (B, H), W_hh is (H, H): x @ W_ih.T and h @ W_hh.T "
            "are both (B, H)") if "shape" in error or "size" in error else ""


register(Exercise(
    test="test_rnn_cell_step", names=("rnn_cell_step",), cases=_step_cases,
    call=lambda f, c: f(c["x"], c["h"], *(c["weights"][k] for k in ("W_ih", "W_hh", "b_ih", "b_hh"))),
    judge=_step_judge, forbidden=("RNN", "recurrent"), on_error=_step_hint))


# --- rnn_unroll ---------------------------------------------------------------------------------------------

def _unroll_cases(g):
    cases = []
    for batch, steps, d_in, d_hidden in [(2, 5, 4, 3), (1, 1, 2, 2), (3, 17, 5, 8), (4, 40, 1, 6), (3, 6, 4, 4)]:
        w = _cell_weights(g, d_in, d_hidden, bias=d_hidden ** -0.5)
        state = {"weight_ih": w["W_ih"], "weight_hh": w["W_hh"], "bias_ih": w["b_ih"], "bias_hh": w["b_hh"]}
        cases.append({"xs": randn(g, batch, steps, d_in), "h0": randn(g, batch, d_hidden), "cell": state})
    return cases


def _unroll_call(f, c):
    d_hidden, d_in = c["cell"]["weight_ih"].shape
    cell = nn.RNNCell(d_in, d_hidden)
    cell.load_state_dict(c["cell"])
    with torch.no_grad():
        return f(c["xs"], c["h0"], cell)


def _unroll_reference(c):
    d_hidden, d_in = c["cell"]["weight_ih"].shape
    rnn = nn.RNN(d_in, d_hidden, batch_first=True)
    rnn.load_state_dict({name + "_l0": p for name, p in c["cell"].items()})
    with torch.no_grad():
        return rnn(c["xs"], c["h0"][None])[0]


def _unroll_judge(got, c):
    ref, xs, h0, w = _unroll_reference(c), c["xs"], c["h0"], c["cell"]
    from_h0 = torch.tanh(xs @ w["weight_ih"].T + w["bias_ih"] + (h0 @ w["weight_hh"].T + w["bias_hh"])[:, None])
    mistakes = [
        (ref[:, -1], "only the last hidden state came back: return every state, stacked as (B, T, H)"),
        (ref.transpose(0, 1), "the states are stacked along dim 0, (T, B, H): stack along dim=1, (B, T, H)"),
        (torch.cat([h0[:, None], ref[:, :-1]], dim=1) if ref.size(1) > 1 else None,
         "the states are one step late (h0 first, the last state missing): append the state after each step"),
        (from_h0 if ref.size(1) > 1 else None,
         "every step started from h0: carry the new state into the next step (h = rnn_cell_step(x_t, h, ...))"),
    ]
    expect_tensor(got, ref, "the hidden states", "(B, T, H)", mistakes, atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_rnn_unroll", names=("rnn_unroll",), cases=_unroll_cases, call=_unroll_call, judge=_unroll_judge,
    forbidden=("RNN", "recurrent"), allowed=("rnn_cell_step",),
    on_error=lambda case, error: ("xs is (B, T, D): step t reads xs[:, t], of shape (B, D)"
                                  if "shape" in error or "size" in error or "index" in error else "")))


# --- input_gradient_norms --------------------------------------------------------------------------------------

def _network(c):
    """The network a case describes: (T, D) -> (H,)."""
    if c["kind"] == "last":
        scale = c["scale"]
        return lambda seq: scale * seq[-1]
    if c["kind"] == "rnn":
        d_hidden, d_in = c["rnn"]["weight_ih_l0"].shape
        rnn = nn.RNN(d_in, d_hidden)
        rnn.load_state_dict(c["rnn"])
        return lambda seq: rnn(seq)[0][-1]
    weights = c["weights"]  # (T, H): output j = sum_t sum_d w[t, j] x[t, d]
    return lambda seq: (weights[:, :, None] * seq[:, None, :]).sum(dim=(0, 2))


def _norms_cases(g):
    cases = [{"kind": "last", "scale": 2.0, "xs": randn(g, 6, 4), "note": "output = 2 * xs[-1]"}]
    for steps, d_in, d_hidden in [(3, 2, 5), (12, 3, 4), (9, 6, 7)]:
        bound = d_hidden ** -0.5
        state = {"weight_ih_l0": _uniform(g, d_hidden, d_in, low=-bound, high=bound),
                 "weight_hh_l0": _uniform(g, d_hidden, d_hidden, low=-bound, high=bound),
                 "bias_ih_l0": _uniform(g, d_hidden, low=-bound, high=bound),
                 "bias_hh_l0": _uniform(g, d_hidden, low=-bound, high=bound)}
        cases.append({"kind": "rnn", "rnn": state, "xs": randn(g, steps, d_in), "note": "an nn.RNN's last output"})
    cases.append({"kind": "linear", "weights": randn(g, 5, 3), "xs": randn(g, 5, 2), "note": "a linear network"})
    return cases


def _norms_judge(got, c):
    network, xs = _network(c), c["xs"]
    jacobian = torch.autograd.functional.jacobian(network, xs)  # (H, T, D)
    x = xs.clone().requires_grad_(True)
    (summed,) = torch.autograd.grad(network(x).sum(), x)  # one backward pass: the gradient of the summed outputs
    mistakes = [
        (summed.norm(dim=1), "this is the gradient of the SUM of the outputs (one backward pass): it lets the "
         "output units cancel; the norm needs every unit's gradient, the whole Jacobian "
         "(torch.autograd.functional.jacobian)"),
        (jacobian.pow(2).sum(dim=(0, 2)), "these are squared norms: take the square root"),
        (jacobian.abs().sum(dim=(0, 2)), "this is the sum of absolute values; the Frobenius norm is the square "
         "root of the sum of squares"),
        (jacobian.pow(2).sum(dim=(0, 1)).sqrt(), "summed over the wrong axes: the Jacobian is (H, T, D); "
         "sum over H (dim 0) and D (dim 2) to keep one norm per position"),
        (jacobian.pow(2).sum(dim=(1, 2)).sqrt(), "summed over the wrong axes: the Jacobian is (H, T, D); "
         "sum over H (dim 0) and D (dim 2) to keep one norm per position"),
        (jacobian.pow(2).sum().sqrt(), "one norm for the whole Jacobian: return one norm per position, shape (T,)"),
        (jacobian.pow(2).sum(dim=(0, 2)).sqrt().flip(0), "the norms are in reverse order: entry t is position t"),
    ]
    expect_tensor(got, jacobian.pow(2).sum(dim=(0, 2)).sqrt(), "the norms", "(T,)", mistakes, atol=1e-5, rtol=1e-4)


register(Exercise(
    test="test_input_gradient_norms", names=("input_gradient_norms",), cases=_norms_cases,
    call=lambda f, c: f(_network(c), c["xs"]), judge=_norms_judge, forbidden=("recurrent", "input_gradient_norms")))


# --- clip_gradients ----------------------------------------------------------------------------------------------

def _clip_cases(g):
    cases = []
    for shapes, scale, max_norm in [([(3, 2), (2,)], 10.0, 1.0), ([(4,)], 0.01, 1.0), ([(5, 5), (5,), (1,)], 3.0, 2.5),
                                    ([(2, 3), (3,), (7, 2)], 50.0, 0.5), ([(1,)], 1.0, 100.0)]:
        cases.append({"grads": [randn(g, *shape, scale=scale) for shape in shapes], "max_norm": max_norm,
                      "note": "a generator of parameters, as model.parameters() gives"})
    case = dict(cases[0])
    case["frozen"] = 1  # one parameter without a gradient (p.grad is None), e.g. a frozen embedding
    case["note"] = "one parameter has no gradient (p.grad is None, as for a frozen layer): skip it"
    cases.append(case)
    return cases


def _clip_call(f, case):
    params = [nn.Parameter(torch.zeros_like(grad)) for grad in case["grads"]]
    for p, grad in zip(params, case["grads"]):
        p.grad = grad.clone()
    if case.get("frozen"):
        params.insert(case["frozen"], nn.Parameter(torch.zeros(2)))  # .grad stays None
    norm = f((p for p in params), case["max_norm"])  # a generator, as model.parameters() is
    return norm, [p.grad for p in params if p.grad is not None]


def _clip_judge(got, case):
    expect_tuple(got, 2, "clip_gradients's outputs")
    norm, grads = got
    originals, max_norm = case["grads"], case["max_norm"]
    total = torch.sqrt(sum((grad ** 2).sum() for grad in originals))
    factor = min(1.0, max_norm / (total.item() + 1e-6))
    if all(torch.equal(a, b) for a, b in zip(grads, originals)) and factor < 1:
        raise CheckFailed("the gradients were not changed although their norm is above max_norm: scale each "
                          "p.grad in place (p.grad.mul_(...)); if you loop over `parameters` twice, make a list "
                          "first: a generator such as model.parameters() is empty the second time")
    per_parameter = [grad * min(1.0, max_norm / (grad.norm().item() + 1e-6)) for grad in originals]
    always = [grad * max_norm / (total + 1e-6) for grad in originals]
    for got_grad, original, alone, scaled in zip(grads, originals, per_parameter, always):
        expect_tensor(got_grad, original * factor, "a clipped gradient", "(the parameter's shape)",
                      [(alone if len(originals) > 1 else None, "each gradient was clipped on its own: clip them "
                        "together, by the norm of all gradients as one vector"),
                       (scaled if factor == 1 else None, "gradients below max_norm were scaled up: only scale "
                        "when the total norm is larger than max_norm")], atol=1e-5, rtol=1e-4)
    if torch.is_tensor(norm) and norm.numel() == 1:
        norm = norm.item()
    if not isinstance(norm, (int, float)):
        raise CheckFailed(f"clip_gradients should return the total norm as a number or a 0-d tensor, got "
                          f"{type(norm).__name__}")
    if factor < 1 and abs(norm - max_norm) < 1e-3 * max_norm:
        raise CheckFailed("return the total norm from before clipping (as torch.nn.utils.clip_grad_norm_ does), "
                          "not after")
    if abs(norm - total.item()) > 1e-4 * max(1.0, total.item()):
        raise CheckFailed(f"the returned total norm should be {total.item():.6g} (the L2 norm of all gradients "
                          f"together), got {norm:.6g}")


register(Exercise(
    test="test_clip_gradients", names=("clip_gradients",), cases=_clip_cases, call=_clip_call, judge=_clip_judge,
    forbidden=("clip_grad", "clip_gradients", "get_total_norm")))
