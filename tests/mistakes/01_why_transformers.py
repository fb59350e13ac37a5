"""Typical mistakes of lesson 01: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
MISTAKES = {
    "test_rnn_cell_step": [
        ("forgot b_hh", '''
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T)
''', "b_hh is missing"),
        ("no tanh", '''
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
''', "no tanh"),
        ("W_hh not transposed", '''
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh)
''', "W_hh.T"),
        ("sigmoid", '''
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.sigmoid(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
''', "sigmoid instead of tanh"),
        ("PyTorch's own cell", '''
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.rnn_tanh_cell(x, h, W_ih, W_hh, b_ih, b_hh)
''', "without `RNN`"),
    ],
    "test_rnn_unroll": [
        ("only the last state", '''
def rnn_unroll(xs, h0, cell):
    h = h0
    for t in range(xs.size(1)):
        h = rnn_cell_step(xs[:, t], h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    return h
''', "only the last hidden state"),
        ("stacked along dim 0", '''
def rnn_unroll(xs, h0, cell):
    h, states = h0, []
    for t in range(xs.size(1)):
        h = rnn_cell_step(xs[:, t], h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        states.append(h)
    return torch.stack(states)
''', "dim=1"),
        ("h0 appended first", '''
def rnn_unroll(xs, h0, cell):
    h, states = h0, []
    for t in range(xs.size(1)):
        states.append(h)
        h = rnn_cell_step(xs[:, t], h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    return torch.stack(states, dim=1)
''', "one step late"),
        ("state never carried", '''
def rnn_unroll(xs, h0, cell):
    states = [rnn_cell_step(xs[:, t], h0, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
              for t in range(xs.size(1))]
    return torch.stack(states, dim=1)
''', "started from h0"),
        ("PyTorch's nn.RNN", '''
def rnn_unroll(xs, h0, cell):
    rnn = nn.RNN(xs.size(-1), h0.size(-1), batch_first=True)
    rnn.load_state_dict({name + "_l0": p for name, p in cell.state_dict().items()})
    return rnn(xs, h0[None])[0]
''', "without `RNN`"),
    ],
    "test_input_gradient_norms": [
        ("gradient of the summed outputs", '''
def input_gradient_norms(network, xs):
    xs = xs.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(network(xs).sum(), xs)
    return grad.norm(dim=1)
''', "SUM of the outputs"),
        ("no square root", '''
def input_gradient_norms(network, xs):
    jacobian = torch.autograd.functional.jacobian(network, xs)
    return jacobian.pow(2).sum(dim=(0, 2))
''', "squared norms"),
        ("wrong axes", '''
def input_gradient_norms(network, xs):
    jacobian = torch.autograd.functional.jacobian(network, xs)
    return jacobian.pow(2).sum(dim=(0, 1)).sqrt()
''', "wrong axes"),
        ("L1 norm", '''
def input_gradient_norms(network, xs):
    jacobian = torch.autograd.functional.jacobian(network, xs)
    return jacobian.abs().sum(dim=(0, 2))
''', "absolute values"),
    ],
    "test_make_recall_batch": [
        ("fillers may be keys", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    keys = torch.randint(0, NUM_KEYS, (batch_size,), generator=generator)
    fillers = torch.randint(0, VOCAB_SIZE, (batch_size, distance), generator=generator)
    return torch.cat([keys[:, None], fillers], dim=1), keys
''', "looks like a key"),
        ("high taken as inclusive", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    keys = torch.randint(0, NUM_KEYS - 1, (batch_size,), generator=generator)
    fillers = torch.randint(NUM_KEYS, VOCAB_SIZE - 1, (batch_size, distance), generator=generator)
    return torch.cat([keys[:, None], fillers], dim=1), keys
''', "high is exclusive"),
        ("generator ignored", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    keys = torch.randint(0, NUM_KEYS, (batch_size,))
    fillers = torch.randint(NUM_KEYS, VOCAB_SIZE, (batch_size, distance))
    return torch.cat([keys[:, None], fillers], dim=1), keys
''', "generator=generator"),
        ("distance columns only", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    keys = torch.randint(0, NUM_KEYS, (batch_size,), generator=generator)
    fillers = torch.randint(NUM_KEYS, VOCAB_SIZE, (batch_size, distance - 1), generator=generator)
    return torch.cat([keys[:, None], fillers], dim=1), keys
''', "distance + 1"),
        ("target is the last token", '''
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    keys = torch.randint(0, NUM_KEYS, (batch_size,), generator=generator)
    fillers = torch.randint(NUM_KEYS, VOCAB_SIZE, (batch_size, distance), generator=generator)
    tokens = torch.cat([keys[:, None], fillers], dim=1)
    return tokens, tokens[:, -1]
''', "LAST token"),
    ],
    "test_clip_gradients": [
        ("each gradient clipped on its own", '''
def clip_gradients(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        norm = g.norm()
        if norm > max_norm:
            g.mul_(max_norm / norm)
    return total
''', "clip them together"),
        ("always rescaled", '''
def clip_gradients(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / total)
    return total
''', "scaled up"),
        ("the generator read twice", '''
def clip_gradients(parameters, max_norm):
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters if p.grad is not None))
    if total > max_norm:
        for p in parameters:
            if p.grad is not None:
                p.grad.mul_(max_norm / total)
    return total
''', "make a list"),
        ("the norm after clipping returned", '''
def clip_gradients(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return torch.sqrt(sum((g ** 2).sum() for g in grads))
''', "before clipping"),
        ("torch's own clipping", '''
def clip_gradients(parameters, max_norm):
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm)
''', "without `clip_grad`"),
    ],
}
