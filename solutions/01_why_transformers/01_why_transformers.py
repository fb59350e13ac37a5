# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 01 — Why Transformers?
#
# Language, speech, DNA and prices all arrive as **ordered sequences**. Before 2017 the standard
# tool for them was the *recurrent* neural network. In this lesson you do not take its limits on
# faith: you build one, then **measure** the three problems that made researchers replace it.
#
# **You will**
# 1. implement one step of a recurrent network and unroll it over a sequence (checked against `torch.nn.RNNCell`);
# 2. measure how the gradient that reaches an early input shrinks (or explodes) with distance, for an RNN,
#    an LSTM and attention;
# 3. train an RNN, a GRU, two LSTMs and a one-layer attention model on a memory task, and find the distance
#    at which each one fails;
# 4. write gradient clipping, the fix for exploding gradients, and watch it rescue a training run;
# 5. measure what a recurrent pass and an attention pass cost: dependent steps, arithmetic, and time;
# 6. place it all on the timeline that led from LSTMs (1997) to GPT-4, CLIP and Whisper.
#
# Graded exercises are marked **[n points]**. Write your code where it says `YOUR CODE HERE`,
# then run the test cell below it. Hidden tests check more cases when your work is graded.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Setup: run this cell first. It installs the course on Colab, loads the course's `utils` library (never a
# `utils.py` of your own), sizes PyTorch's CPU threads to this machine, picks the device and seeds everything.
import importlib.util, os, pathlib, subprocess, sys

COURSE_SOURCE = os.environ.get("COURSE_SOURCE", "git+https://github.com/transformers-first-principles/course")
if importlib.util.find_spec("course_setup") is None:
    here = pathlib.Path.cwd().resolve()
    clone = next((p for p in (here, *here.parents) if (p / "course_setup.py").is_file()), None)
    if clone is not None:  # a clone opened without `pip install -r requirements.txt`
        sys.path.insert(0, str(clone))
    elif "google.colab" in sys.modules:  # Colab opens the notebook alone: install the course beside it
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE_SOURCE], check=True)
        importlib.invalidate_caches()
    else:
        raise ModuleNotFoundError("The course is not installed here: run `pip install -r requirements.txt` "
                                  f"in a clone of the course, or `pip install {COURSE_SOURCE}`.")

from course_setup import prepare
device = prepare()  # prints the device and the number of CPU threads it chose

import torch
import utils

# %%
import time

import matplotlib.pyplot as plt
import torch.nn as nn
import torch.nn.functional as F
from ipywidgets import IntSlider
from tqdm.auto import tqdm

from utils import interactive_figure


# %% [markdown]
# ## 1. A recurrent network reads one token at a time
#
# A recurrent neural network (RNN) keeps a **hidden state** $h_t$, a vector that should summarise
# everything read so far. At each step it mixes the new input $x_t$ with the previous state:
#
# $$h_t = \tanh\left(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\right)$$
#
# The same weights are used at every step. This is also exactly what `torch.nn.RNNCell` computes,
# with its parameters named `weight_ih`, `weight_hh`, `bias_ih` and `bias_hh`.
#
# ### Exercise 1 — one step [2 points]
# Implement `rnn_cell_step`. All tensors are batch-first: `x` is `(B, D)`, `h` is `(B, H)`,
# `W_ih` is `(H, D)`, `W_hh` is `(H, H)`, the biases are `(H,)`; the result is `(B, H)`.

# %% nbgrader={"grade": false, "grade_id": "rnn_cell_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One RNN step: x (B, D), h (B, H) -> new hidden state (B, H)."""
    ### BEGIN SOLUTION
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rnn_cell_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_rnn_cell_step", globals())  # first the checks grading runs (public inputs): they name typical mistakes
# Compare with PyTorch's own cell, using the same weights.
cell = nn.RNNCell(4, 3)
x, h = torch.randn(2, 4), torch.randn(2, 3)
mine = rnn_cell_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
assert mine.shape == (2, 3), f"expected shape (2, 3), got {tuple(mine.shape)}"
torch.testing.assert_close(mine, cell(x, h))
print("rnn_cell_step matches nn.RNNCell")
### BEGIN HIDDEN TESTS
for batch, d_in, d_hidden in [(1, 1, 1), (5, 7, 11), (3, 16, 2)]:
    cell = nn.RNNCell(d_in, d_hidden)
    with torch.no_grad():
        cell.bias_ih.uniform_(-2, 2)
        cell.bias_hh.uniform_(-2, 2)
    x, h = torch.randn(batch, d_in), 3 * torch.randn(batch, d_hidden)
    torch.testing.assert_close(rnn_cell_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh), cell(x, h))
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — unroll it over a sequence [2 points]
# Reading a sentence means applying the step once per token, **in order**: step $t$ cannot start
# before step $t-1$ has finished. Implement `rnn_unroll`, which takes inputs `xs` of shape
# `(B, T, D)`, a start state `h0` of shape `(B, H)` and an `nn.RNNCell`, and returns every hidden
# state, stacked as `(B, T, H)`. Use your `rnn_cell_step`.

# %% nbgrader={"grade": false, "grade_id": "rnn_unroll", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_unroll(xs, h0, cell):
    """xs (B, T, D), h0 (B, H) -> hidden states after each step, (B, T, H)."""
    ### BEGIN SOLUTION
    h, states = h0, []
    for t in range(xs.size(1)):
        h = rnn_cell_step(xs[:, t], h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        states.append(h)
    return torch.stack(states, dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rnn_unroll", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_rnn_unroll", globals())  # first the checks grading runs (public inputs): they name typical mistakes
# nn.RNN runs the same recurrence over a whole sequence; give it the cell's weights.
cell = nn.RNNCell(4, 3)
rnn = nn.RNN(4, 3, batch_first=True)
rnn.load_state_dict({name + "_l0": p for name, p in cell.state_dict().items()})
xs, h0 = torch.randn(2, 5, 4), torch.randn(2, 3)
states = rnn_unroll(xs, h0, cell)
assert states.shape == (2, 5, 3), f"expected (B, T, H) = (2, 5, 3), got {tuple(states.shape)}"
torch.testing.assert_close(states, rnn(xs, h0[None])[0])
print("rnn_unroll matches nn.RNN")
### BEGIN HIDDEN TESTS
for batch, steps, d_in, d_hidden in [(1, 1, 2, 2), (3, 17, 5, 8), (4, 40, 1, 6)]:
    cell = nn.RNNCell(d_in, d_hidden)
    rnn = nn.RNN(d_in, d_hidden, batch_first=True)
    rnn.load_state_dict({name + "_l0": p for name, p in cell.state_dict().items()})
    xs, h0 = torch.randn(batch, steps, d_in), torch.randn(batch, d_hidden)
    torch.testing.assert_close(rnn_unroll(xs, h0, cell), rnn(xs, h0[None])[0])
### END HIDDEN TESTS

# %% [markdown]
# Your loop has `T` steps and each one needs the result of the one before. Keep that in mind:
# section 4 measures what it costs.
#
# ## 2. Vanishing gradients: the past fades
#
# To learn that the word at position $t$ matters for a prediction made at the end, the training
# signal (the gradient) has to travel back from the last output to $x_t$. In an RNN it passes
# through every step in between, and each step multiplies it by a Jacobian
# $\partial h_{s}/\partial h_{s-1}$. If those factors are mostly smaller than one, the gradient
# shrinks **exponentially** with distance; if larger, it explodes.
#
# We can measure this directly. Treat the network as a function from the whole input sequence
# `xs` of shape `(T, D)` to its **last** output, a vector of size `H`. Its Jacobian has shape
# `(H, T, D)`; slicing it at position `t` gives how strongly every output unit reacts to $x_t$.
#
# ### Exercise 3 — how much does each input matter? [2 points]
# Implement `input_gradient_norms(network, xs)`: `network` maps `xs (T, D)` to the last output
# `(H,)`. Return a tensor of shape `(T,)` whose entry `t` is the Frobenius norm of the Jacobian
# slice $\partial\, \text{output} / \partial x_t$ (the square root of the sum of its squared entries).
# `torch.autograd.functional.jacobian` computes the whole Jacobian for you.

# %% nbgrader={"grade": false, "grade_id": "input_gradient_norms", "locked": false, "schema_version": 3, "solution": true, "task": false}
def input_gradient_norms(network, xs):
    """network: (T, D) -> (H,). Returns (T,): norm of d output / d xs[t] for every position t."""
    ### BEGIN SOLUTION
    jacobian = torch.autograd.functional.jacobian(network, xs, vectorize=True)  # (H, T, D)
    return jacobian.pow(2).sum(dim=(0, 2)).sqrt()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_input_gradient_norms", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_input_gradient_norms", globals())  # first the checks grading runs (public inputs): they name typical mistakes
# A network that only looks at the last input, doubled: the norm is 2 * sqrt(D) there, 0 elsewhere.
xs = torch.randn(6, 4)
norms = input_gradient_norms(lambda seq: 2 * seq[-1], xs)
assert norms.shape == (6,), f"expected one norm per position, shape (6,), got {tuple(norms.shape)}"
torch.testing.assert_close(norms, torch.tensor([0.0] * 5 + [4.0]))
print("input_gradient_norms is right on a network we can solve by hand")
### BEGIN HIDDEN TESTS
def reference_norms(network, xs):
    rows = []
    out = network(xs)
    for unit in range(out.numel()):
        xs_ = xs.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(network(xs_)[unit], xs_)
        rows.append(grad.pow(2))
    return torch.stack(rows).sum(dim=(0, 2)).sqrt()

for steps, d_in, d_hidden in [(3, 2, 5), (12, 3, 4)]:
    rnn = nn.RNN(d_in, d_hidden)
    network = lambda seq: rnn(seq)[0][-1]
    xs = torch.randn(steps, d_in)
    torch.testing.assert_close(input_gradient_norms(network, xs), reference_norms(network, xs))
weights = torch.randn(5, 3)
network = lambda seq: (weights[:, :, None] * seq[:, None, :]).sum(dim=(0, 2))  # output j = sum_t sum_d w[t, j] x[t, d]
xs = torch.randn(5, 2)
torch.testing.assert_close(input_gradient_norms(network, xs), weights.norm(dim=1) * 2 ** 0.5)
### END HIDDEN TESTS

# %% [markdown]
# Now compare three networks with the same input and state sizes, all freshly initialised:
# a plain RNN, an LSTM (whose gated, additive memory cell was designed in 1997 against exactly this
# problem) and one layer of **self-attention** from `utils`, whose last position looks at every
# input directly. We plot the gradient norm against the **distance** from the last position, measured with
# `utils.input_gradient_norms`, the tested version of your function.

# %%
D, H = 16, 32
rnn = nn.RNN(D, H)
lstm = nn.LSTM(D, H)
attention = utils.MultiHeadAttention(H, num_heads=4)
to_width = nn.Linear(D, H)  # attention keeps the width of its input, so first map D -> H


def last_output_rnn(seq):
    return rnn(seq)[0][-1]


def last_output_lstm(seq):
    return lstm(seq)[0][-1]


def last_output_attention(seq):
    x = to_width(seq)[None]  # (1, T, H)
    return attention(x, x, x)[0, -1]


NETWORKS = {"RNN": last_output_rnn, "LSTM": last_output_lstm, "self-attention": last_output_attention}


def distance_profile(length, seed=0):
    xs = torch.randn(length, D, generator=torch.Generator().manual_seed(seed))
    # flip so that index 0 is the last position: distance 0, 1, 2, ...
    return {name: utils.input_gradient_norms(net, xs).flip(0).detach() for name, net in NETWORKS.items()}


def draw_profile(ax, length):
    for name, norms in distance_profile(length).items():
        ax.semilogy(norms, label=name)
    ax.set_xlabel("distance from the last position (steps)")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title(f"How much each input moves the last output (T = {length})")
    ax.legend()


profile = distance_profile(80)
for name, norms in profile.items():
    kept = (norms[50] / norms[0]).item()
    print(f"{name:>15}: 50 steps back keeps {100 * kept:.2g}% of the gradient at the last step (threshold: 1%)")
fig, ax = plt.subplots(figsize=(7, 3.5))
draw_profile(ax, 80)
plt.show()


# %% [markdown]
# Move the slider to change the sequence length. The RNN's curve is a straight line on the log
# scale: the gradient falls by the same factor with every step, which is what *vanishing* means.
# The LSTM decays more slowly, but it still decays. Attention's curve stays flat, because every
# input is one step away from the output: there is no long chain of products to shrink the signal.

# %%
interactive_figure(draw_profile, length=IntSlider(value=80, min=10, max=200, step=10, description="length T"))


# %% [markdown]
# The opposite failure is as real. Each step multiplies the gradient by the recurrent weight
# matrix (and by the slope of $\tanh$); scale that matrix up and the product **explodes** instead of
# vanishing. Below, the same RNN with its recurrent weights $W_{hh}$ set to an orthogonal matrix times
# a gain: up to a gain of 1 the gradient from 50 steps back vanishes; from 2 on it grows with distance.

# %%
def gain_profile(gain, length=60):
    torch.manual_seed(0)
    net = nn.RNN(D, H)
    with torch.no_grad():
        nn.init.orthogonal_(net.weight_hh_l0)
        net.weight_hh_l0.mul_(gain)  # every singular value of W_hh is now `gain`
    xs = torch.randn(length, D, generator=torch.Generator().manual_seed(0))
    return utils.input_gradient_norms(lambda seq: net(seq)[0][-1], xs).flip(0).detach()


GAINS = [0.5, 1.0, 2.0, 3.0]
fig, ax = plt.subplots(figsize=(7, 3.5))
for gain in GAINS:
    norms = gain_profile(gain)
    ax.semilogy(norms / norms[0], label=f"gain {gain}")
    print(f"gain {gain}: the input 50 steps back moves the output {(norms[50] / norms[0]).item():.1e} times "
          f"as much as the last input (1 = no decay)")
ax.set_xlabel("distance from the last position (steps)")
ax.set_ylabel("gradient norm / norm at distance 0")
ax.set_title("an RNN's gradient vanishes or explodes with its recurrent gain")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Long-range dependencies: remember the first token
#
# A gradient that vanishes cannot teach a network to use distant information. Let us see it on a
# task. Each sequence starts with a **key**, one of `NUM_KEYS` tokens, followed by `distance` random
# **filler** tokens; the model reads the whole sequence and must say which key it started with.
# Guessing gives `1 / NUM_KEYS` accuracy.
#
# ### Exercise 4 — the memory task [2 points]
# Implement `make_recall_batch(batch_size, distance, generator)`. It returns
# - `tokens`, a `torch.long` tensor `(batch_size, distance + 1)`: column 0 holds keys drawn uniformly
#   from `0 .. NUM_KEYS - 1`; the other columns hold fillers drawn uniformly from `NUM_KEYS .. VOCAB_SIZE - 1`;
# - `targets`, a `torch.long` tensor `(batch_size,)`: the key of each row.
#
# Draw every random number with `torch.randint(..., generator=generator)`, so that a seeded
# generator gives the same batch every time.

# %% nbgrader={"grade": false, "grade_id": "make_recall_batch", "locked": false, "schema_version": 3, "solution": true, "task": false}
NUM_KEYS, VOCAB_SIZE = 8, 32


def make_recall_batch(batch_size, distance, generator=None):
    """-> tokens (batch_size, distance + 1), targets (batch_size,): recall the first token."""
    ### BEGIN SOLUTION
    keys = torch.randint(0, NUM_KEYS, (batch_size,), generator=generator)
    fillers = torch.randint(NUM_KEYS, VOCAB_SIZE, (batch_size, distance), generator=generator)
    return torch.cat([keys[:, None], fillers], dim=1), keys
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_make_recall_batch", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_make_recall_batch", globals())  # first the checks grading runs (public inputs): they name typical mistakes
tokens, targets = make_recall_batch(4, 3, torch.Generator().manual_seed(0))
assert tokens.shape == (4, 4) and targets.shape == (4,), f"got shapes {tuple(tokens.shape)}, {tuple(targets.shape)}"
assert tokens.dtype == torch.long and targets.dtype == torch.long, "tokens and targets must be torch.long"
assert torch.equal(tokens[:, 0], targets), "the target of a row is its first token"
print(tokens)
### BEGIN HIDDEN TESTS
for batch_size, distance in [(1, 0), (500, 1), (300, 40)]:
    tokens, targets = make_recall_batch(batch_size, distance, torch.Generator().manual_seed(batch_size))
    assert tokens.shape == (batch_size, distance + 1) and targets.shape == (batch_size,)
    assert tokens.dtype == torch.long and targets.dtype == torch.long
    assert torch.equal(tokens[:, 0], targets)
    assert ((targets >= 0) & (targets < NUM_KEYS)).all()
    if distance:
        assert ((tokens[:, 1:] >= NUM_KEYS) & (tokens[:, 1:] < VOCAB_SIZE)).all()
tokens, targets = make_recall_batch(2000, 20, torch.Generator().manual_seed(1))
assert set(targets.tolist()) == set(range(NUM_KEYS)), "every key should appear in a large batch"
assert set(tokens[:, 1:].flatten().tolist()) == set(range(NUM_KEYS, VOCAB_SIZE)), "every filler should appear"
assert abs(targets.float().mean().item() - (NUM_KEYS - 1) / 2) < 0.3, "keys should be uniform"
again, _ = make_recall_batch(2000, 20, torch.Generator().manual_seed(1))
assert torch.equal(tokens, again), "the same seeded generator must give the same batch"
other, _ = make_recall_batch(2000, 20, torch.Generator().manual_seed(2))
assert not torch.equal(tokens, other), "a different seed must give a different batch"
### END HIDDEN TESTS

# %% [markdown]
# Five small models read the same sequences. The recurrent ones must carry the key in their hidden
# state across every filler token: a plain RNN, a **GRU** (Cho et al., 2014: two gates, an update and
# a reset gate, and no separate memory cell) and the **LSTM** twice. An LSTM's forget gate
# $f_t = \sigma(\dots + b_f)$ decides how much of its memory cell survives each step. PyTorch
# initialises $b_f$ near 0, so at first the cell keeps about $\sigma(0) = 50\%$ per step and a key 40
# steps back survives as $0.5^{40} \approx 10^{-12}$ of itself; the usual remedy (Gers et al., 2000;
# Jozefowicz et al., 2015) starts $b_f$ at 1 or 2 so that the cell remembers by default. The attention
# model is one `utils.EncoderLayer` over token embeddings plus the sinusoidal positional encoding from
# `utils`: its last position can look straight back at the key. Each model gets the same budget: 300
# optimiser steps of 32 sequences, trained with `utils.train`, on batches from
# `utils.make_recall_batch` (the tested version of your function). Once a model is
# near guessing (below 0.5) at some distance, it is not trained at the longer ones: they are only harder.

# %%
NUM_KEYS, VOCAB_SIZE = 8, 32  # the recall task's sizes (as in the exercise above)


class RecurrentReader(nn.Module):
    # tokens (B, T) -> key logits (B, NUM_KEYS), read off the last hidden state
    def __init__(self, kind, d_embed=32, d_hidden=64, forget_bias=None):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, d_embed)
        self.rnn = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}[kind](d_embed, d_hidden, batch_first=True)
        if forget_bias is not None:  # an LSTM's gates are stacked (input, forget, cell, output): rows H..2H
            with torch.no_grad():
                self.rnn.bias_ih_l0[d_hidden:2 * d_hidden].fill_(forget_bias)
                self.rnn.bias_hh_l0[d_hidden:2 * d_hidden].zero_()
        self.head = nn.Linear(d_hidden, NUM_KEYS)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))  # (B, T, d_hidden)
        return self.head(states[:, -1])


class AttentionReader(nn.Module):
    # tokens (B, T) -> key logits (B, NUM_KEYS), read off the last position after one attention layer
    def __init__(self, d_model=32):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, d_model)
        self.position = utils.PositionalEncoding(d_model, max_len=1024)
        self.layer = utils.EncoderLayer(d_model, num_heads=2, d_ff=64, dropout=0.0)
        self.head = nn.Linear(d_model, NUM_KEYS)

    def forward(self, tokens):
        return self.head(self.layer(self.position(self.embed(tokens)))[:, -1])


MODELS = {
    "RNN": lambda: RecurrentReader("RNN"),
    "GRU": lambda: RecurrentReader("GRU"),
    "LSTM (PyTorch's init)": lambda: RecurrentReader("LSTM"),
    "LSTM (forget bias 2)": lambda: RecurrentReader("LSTM", forget_bias=2.0),
    "attention": AttentionReader,
}
lstm = RecurrentReader("LSTM").rnn
forget = torch.sigmoid(lstm.bias_ih_l0[64:128] + lstm.bias_hh_l0[64:128]).mean().item()
print(f"PyTorch's LSTM keeps {forget:.2f} of its memory per step at initialisation: {forget ** 40:.0e} after 40 steps")
print(f"with forget bias 2 it keeps {torch.sigmoid(torch.tensor(2.0)).item():.2f}: "
      f"{torch.sigmoid(torch.tensor(2.0)).item() ** 40:.3f} after 40 steps")


def recall_loss(model, batch):
    tokens, targets = batch
    return F.cross_entropy(model(tokens), targets)


def train_and_test(kind, distance, steps=300):
    utils.seed_everything(0)
    model = MODELS[kind]()
    batches = torch.Generator().manual_seed(1)
    utils.train(model, lambda: utils.make_recall_batch(32, distance, batches, NUM_KEYS, VOCAB_SIZE), recall_loss,
                steps=steps, lr=3e-3, progress=False)
    tokens, targets = utils.make_recall_batch(1000, distance, torch.Generator().manual_seed(2), NUM_KEYS, VOCAB_SIZE)
    with torch.no_grad():
        return (model(tokens).argmax(dim=-1) == targets).float().mean().item()


# %%
DISTANCES = [5, 10, 20, 40, 80]
KINDS = list(MODELS)
results = {kind: [] for kind in KINDS}
with tqdm(total=len(KINDS) * len(DISTANCES), desc="training up to 25 models") as bar:
    for kind in KINDS:
        for distance in DISTANCES:
            results[kind].append(train_and_test(kind, distance))
            bar.update()
            if results[kind][-1] < 0.5:  # near guessing: a longer distance is only harder, so stop here
                bar.update(len(DISTANCES) - len(results[kind]))
                break

fig, ax = plt.subplots(figsize=(7, 3.5))
for kind in KINDS:
    ax.semilogx(DISTANCES[:len(results[kind])], results[kind], marker="o", label=kind)
ax.set_xticks(DISTANCES, [str(d) for d in DISTANCES])
ax.axhline(1 / NUM_KEYS, color="grey", linestyle="--", label="guessing")
ax.set_xlabel("distance between the key and the end")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.05)
ax.legend()
plt.show()
for kind in KINDS:
    solved = [d for d, acc in zip(DISTANCES, results[kind]) if acc >= 0.95]  # zip stops where training stopped
    failed = [(d, acc) for d, acc in zip(DISTANCES, results[kind]) if acc < 0.95]
    first_fail = f"first below at distance {failed[0][0]} ({failed[0][1]:.2f})" if failed else "never below"
    print(f"{kind:>22}: >= 0.95 right up to distance {max(solved) if solved else 'none'}; {first_fail}")


# %% [markdown]
# With the same small budget, every recurrent model fails once the key is far enough away, but not
# at the same distance. The plain RNN and the LSTM as PyTorch initialises it both stop being reliable
# beyond 5 tokens. The GRU gets twice as far, and the same LSTM with its forget bias at 2 gets eight
# times as far: its memory cell starts out remembering, so it need not first learn to. That is why
# LSTMs (usually with that initialisation) ruled from 1997 to 2017, and why a fair comparison must
# say how a recurrent model was initialised. Still, each recurrent model has a distance where it
# breaks, because the key must survive a chain of steps: at 80 tokens even the forget-biased LSTM is
# back to guessing. Attention reaches back in one step and is the last to degrade; it is not free
# either, since at 80 tokens one small attention layer needs more than 300 steps to pick out the key
# every time.

# %% [markdown]
# ## 4. Exploding gradients: clip them
#
# When gradients explode, a few batches produce gradients many times larger than usual (below: a
# norm of 25 where the network settles at about 2), and a single optimiser step throws the weights far
# from anything that worked. The standard fix
# (Pascanu et al., 2013) is **gradient clipping**: compute the norm of *all* gradients taken together
# as one long vector, $\|g\| = \sqrt{\sum_p \sum_i g_{p,i}^2}$, and if it is larger than `max_norm`,
# scale every gradient by `max_norm / ‖g‖`. The direction of the step is kept; only its length is
# capped. `utils.train` does this at every step (`grad_clip=1.0`), as almost every Transformer
# training script does.
#
# ### Exercise 5 — gradient clipping [2 points]
# Implement `clip_gradients(parameters, max_norm)`: `parameters` is an iterable of tensors with a
# `.grad` (for example `model.parameters()`, a generator that can be read only once; skip a
# parameter whose `.grad` is `None`). Scale the gradients **in place** (`p.grad.mul_(factor)`) when
# their total norm exceeds `max_norm`, leave them alone otherwise, and return the total norm from
# *before* clipping, as `torch.nn.utils.clip_grad_norm_` does.

# %% nbgrader={"grade": false, "grade_id": "clip_gradients", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_gradients(parameters, max_norm):
    """Rescale all gradients together so that their global L2 norm is at most max_norm -> the norm before."""
    ### BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]  # a list: `parameters` may be a generator
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_clip_gradients", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_clip_gradients", globals())  # first the checks grading runs (public inputs): they name typical mistakes
layer = nn.Linear(3, 2)
layer.weight.grad, layer.bias.grad = torch.full((2, 3), 2.0), torch.full((2,), 2.0)  # total norm sqrt(8 * 4) = 5.66
norm = clip_gradients(layer.parameters(), max_norm=1.0)
assert abs(float(norm) - 32 ** 0.5) < 1e-4, f"return the norm before clipping, sqrt(32) = 5.657; got {float(norm):.4f}"
clipped = torch.sqrt(layer.weight.grad.pow(2).sum() + layer.bias.grad.pow(2).sum()).item()
assert abs(clipped - 1.0) < 1e-4, f"after clipping the total norm should be max_norm = 1, got {clipped:.4f}"
print(f"total norm before: {float(norm):.3f}, after: {clipped:.3f} (max_norm 1.0)")
### BEGIN HIDDEN TESTS
for shapes, max_norm, scale in [([(4, 3), (3,)], 0.5, 10.0), ([(6,)], 5.0, 0.1), ([(2, 2), (2,), (3, 3)], 1.0, 3.0)]:
    mine = [nn.Parameter(torch.zeros(s)) for s in shapes]
    ref = [nn.Parameter(torch.zeros(s)) for s in shapes]
    for a, b in zip(mine, ref):
        a.grad = scale * torch.randn(a.shape)
        b.grad = a.grad.clone()
    got = clip_gradients((p for p in mine), max_norm)
    expected = torch.nn.utils.clip_grad_norm_(ref, max_norm)
    assert abs(float(got) - expected.item()) < 1e-4 * max(1.0, expected.item())
    for a, b in zip(mine, ref):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-4)
### END HIDDEN TESTS

# %% [markdown]
# Now watch it work. A plain RNN whose recurrent weights start with gain 2 (the exploding case
# above) learns the memory task at distance 20 with plain SGD, twice from the same start: once
# without clipping and once with `torch.nn.utils.clip_grad_norm_` (PyTorch's version of your function)
# at `max_norm = 1`. Left: the gradient's norm at every step, before clipping; right: the loss.

# %%
def train_exploding_rnn(clip, steps=200, distance=20):
    utils.seed_everything(0)
    model = RecurrentReader("RNN")
    with torch.no_grad():
        nn.init.orthogonal_(model.rnn.weight_hh_l0)
        model.rnn.weight_hh_l0.mul_(2.0)  # gain 2: gradients explode
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = torch.Generator().manual_seed(1)
    norms, losses = [], []
    for _ in range(steps):
        loss = recall_loss(model, utils.make_recall_batch(32, distance, batches, NUM_KEYS, VOCAB_SIZE))
        optimizer.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0 if clip else float("inf"))
        optimizer.step()
        norms.append(norm.item())
        losses.append(loss.item())
    tokens, targets = utils.make_recall_batch(1000, distance, torch.Generator().manual_seed(2), NUM_KEYS, VOCAB_SIZE)
    with torch.no_grad():
        accuracy = (model(tokens).argmax(dim=-1) == targets).float().mean().item()
    return norms, losses, accuracy


clipping_runs = {name: train_exploding_rnn(clip) for name, clip in [("no clipping", False), ("clipped at 1", True)]}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
for name, (norms, losses, _) in clipping_runs.items():
    axes[0].semilogy(norms, label=name, linewidth=0.8)
    axes[1].plot(losses, label=name, linewidth=0.8)
axes[0].set_title("gradient norm (before clipping)")
axes[1].set_title("training loss")
for ax in axes:
    ax.set_xlabel("step")
    ax.legend()
plt.show()
for name, (norms, losses, accuracy) in clipping_runs.items():
    print(f"{name:>13}: largest gradient norm {max(norms):.0f}, last 20 steps' loss {sum(losses[-20:]) / 20:.2f}, "
          f"test accuracy {accuracy:.2f} (guessing {1 / NUM_KEYS:.2f})")


# %% [markdown]
# Both runs see the same batches from the same start. Without clipping, the large gradients of the first
# steps (norm up to 25, times a learning rate of 0.5) throw the weights into a region where the
# gradients are small and say little: on the left, the unclipped run's gradients are soon *smaller*
# than the clipped run's, and its loss stays flat: it ends up guessing. With clipping, each of those
# gradients is cut to norm 1 (a step of length at most 0.5), and the same network learns the task. Clipping
# treats the symptom (a step that is too long), not the cause (a long chain of multiplications), but
# it is cheap, and every modern training loop, including the one in `utils.train`, keeps it on.
#
# ## 5. No parallelism: time is sequential
#
# Your `rnn_unroll` made `T` dependent steps. A GPU has thousands of cores but cannot start step
# $t$ before step $t-1$ ends. Attention instead computes every position at once with a few large
# matrix products, which is precisely the work that GPUs (and CPU vector units) are built for.
#
# Below we count and time one forward pass of PyTorch's optimised `nn.RNN` and of
# `utils.MultiHeadAttention`, for a batch of 8 sequences of width 64, as the sequences grow. We count
# the arithmetic each one does (a multiply-add is 2 floating-point operations, FLOP) and divide by the
# time it takes: the **throughput**, in GFLOP per second, says how busy each keeps the hardware.
# Timings depend on your machine, so the cell prints only the counts; the plots show the times.

# %%
def seconds(fn, repeats=5):
    """The fastest of `repeats` runs: the run least disturbed by whatever else the machine is doing."""
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


LENGTHS = [64, 128, 256, 512, 1024, 2048]
B, d = 8, 64
rnn_module = nn.RNN(d, d, batch_first=True)
mha = utils.MultiHeadAttention(d, num_heads=4)


def rnn_flop(T):  # each of T steps: x_t W_ih^T and h W_hh^T, (B, d) @ (d, d) twice
    return T * 2 * B * 2 * d * d


def attention_flop(T):  # 4 projections (B T, d) @ (d, d); scores Q K^T and weights @ V, (B, T, T, d) each
    return 2 * B * T * 4 * d * d + 2 * 2 * B * T * T * d


timings = {"nn.RNN": [], "self-attention": []}
with torch.no_grad():
    for length in tqdm(LENGTHS, desc="timing"):
        x = torch.randn(B, length, d)
        timings["nn.RNN"].append(seconds(lambda: rnn_module(x)))
        timings["self-attention"].append(seconds(lambda: mha(x, x, x)))
flops = {"nn.RNN": [rnn_flop(T) for T in LENGTHS], "self-attention": [attention_flop(T) for T in LENGTHS]}

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for name in timings:
    axes[0].loglog(LENGTHS, [1e3 * t for t in timings[name]], marker="o", label=name)
    axes[1].semilogx(LENGTHS, [f / t / 1e9 for f, t in zip(flops[name], timings[name])], marker="o", label=name)
axes[0].set_ylabel("milliseconds per forward pass")
axes[1].set_ylabel("throughput (GFLOP/s)")
axes[1].set_ylim(bottom=0)
for ax in axes:
    ax.set_xlabel("sequence length T")
    ax.legend()
plt.show()
for T in (512, 2048):
    print(f"T = {T}: nn.RNN {T} dependent steps of {rnn_flop(1) / 1e6:.2f} MFLOP each; "
          f"attention 1 step of {attention_flop(T) / 1e9:.2f} GFLOP ({attention_flop(T) / rnn_flop(T):.0f}x the RNN's arithmetic)")

# %% [markdown]
# Read the two plots together. Attention does far more arithmetic (every position compares itself
# with every other, so its work grows as $T^2$): at 2,048 tokens, dozens of times the RNN's. On a CPU
# core that extra work shows, and attention's pass takes longer at long lengths. But look at the
# throughput: attention keeps the arithmetic units several times busier, because its work comes in a
# few large matrix products, while the RNN does `T` tiny ones, each waiting for the one before. On a
# CPU that difference is a few vector lanes; on a GPU, with thousands of cores that a $(8 \times 64)$
# step cannot fill, it is the whole story, and the RNN cannot use more hardware at all, since step $t$
# needs step $t-1$. That trade — more arithmetic, no chain of dependent steps — is what let
# Transformers train on far larger datasets in days instead of weeks.
#
# ## 6. How we got here

# %%
MILESTONES = [
    (1997, "LSTM: gated memory, still one step at a time"),
    (2014, "Sequence-to-sequence models with attention (Bahdanau et al.)"),
    (2017, "Transformer: 'Attention Is All You Need' drops recurrence"),
    (2018, "BERT and GPT-1 top the language benchmarks"),
    (2020, "GPT-3; Vision Transformer (ViT) brings attention to images"),
    (2021, "CLIP: images and text in one space"),
    (2022, "Whisper: speech recognition with an encoder-decoder Transformer"),
    (2023, "GPT-4: one model reads text and images"),
]
fig, ax = plt.subplots(figsize=(9, 3.6))
years = [year for year, _ in MILESTONES]
rows = range(len(MILESTONES), 0, -1)  # one row per milestone, oldest at the top: no labels overlap
ax.plot(years, rows, "o-", color="tab:blue")
for year, row, (_, event) in zip(years, rows, MILESTONES):
    ax.annotate(f"{year}  {event}", (year, row), xytext=(8, 0), textcoords="offset points", va="center", fontsize=9)
ax.set_xlim(years[0] - 1, years[-1] + 14)  # room for the text on the right
ax.set_ylim(0.3, len(MILESTONES) + 0.7)
ax.set_yticks([])
ax.set_xlabel("year")
ax.set_title("From recurrence to attention")
plt.show()
print(len(MILESTONES), "milestones from", years[0], "to", years[-1])


# %% [markdown]
# ## Check your answers
#
# The test cell under each exercise checks a few cases. To run every exercise in a fresh kernel, the way
# grading runs it (with a time limit per cell, demos skipped), set `RUN_CHECK = True`, save the
# notebook, and run the cell below: it prints passed or failed for each exercise. Grading also runs
# hidden checks on other inputs, so passing here is necessary, not sufficient.

# %%
RUN_CHECK = False  # set to True, save the notebook, then run this cell
import pathlib, subprocess, sys

here = pathlib.Path.cwd()
check = next((p / "tools" / "check.py" for p in (here, *here.parents) if (p / "tools" / "check.py").is_file()), None)
if not RUN_CHECK:
    print("RUN_CHECK is False: nothing checked yet")
elif check is None:
    print("tools/check.py comes with the course's repository (a clone or Binder); here, the test cell under "
          "each exercise is your check")
else:
    subprocess.run([sys.executable, "-m", "tools.check", str(here / "01_why_transformers.ipynb")], cwd=check.parents[1])

# %% [markdown]
# ## Summary
#
# - A recurrent network reads one token per step through a hidden state. You wrote that step and
#   its loop, and matched PyTorch.
# - Its gradient shrinks exponentially with distance, or explodes when the recurrent weights are large
#   (you measured both); LSTM gates slow the decay but do not remove it. One attention layer connects
#   every position directly.
# - On the memory task, under the same budget, each recurrent model failed beyond some distance: 5
#   tokens for the RNN and the default LSTM, more for the GRU and for an LSTM whose forget bias starts
#   at 2. One attention layer was the last to degrade.
# - You wrote gradient clipping, which caps the length of a step without changing its direction, and
#   saw it turn a diverging run into one that learns.
# - The recurrence is a chain of `T` dependent steps; attention does more arithmetic, but in a few
#   large matrix products that keep the hardware busy.
#
# **Next: Lesson 02 — Attention.** You will build the mechanism itself: queries, keys and values,
# the scaled dot product, masks, and you will read the attention of a real pretrained model.
