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
# 2. measure how the gradient that reaches an early input shrinks with distance, for an RNN, an LSTM and attention;
# 3. train an RNN, an LSTM and a one-layer attention model on a memory task and watch which ones fail as the gap grows;
# 4. time a recurrent pass against an attention pass as sequences get longer;
# 5. place it all on the timeline that led from LSTMs (1997) to GPT-4, CLIP and Whisper.
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

import utils.recurrent  # the tested versions of this lesson's exercises, for the demos
from utils.widgets import interactive_figure


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
# Compare with PyTorch's own cell, using the same weights.
cell = nn.RNNCell(4, 3)
x, h = torch.randn(2, 4), torch.randn(2, 3)
mine = rnn_cell_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
assert mine.shape == (2, 3), f"expected shape (2, 3), got {tuple(mine.shape)}"
torch.testing.assert_close(mine, cell(x, h))
print("rnn_cell_step matches nn.RNNCell")
utils.checks.check("test_rnn_cell_step", globals())  # the same checks as grading, on public inputs
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
# nn.RNN runs the same recurrence over a whole sequence; give it the cell's weights.
cell = nn.RNNCell(4, 3)
rnn = nn.RNN(4, 3, batch_first=True)
rnn.load_state_dict({name + "_l0": p for name, p in cell.state_dict().items()})
xs, h0 = torch.randn(2, 5, 4), torch.randn(2, 3)
states = rnn_unroll(xs, h0, cell)
assert states.shape == (2, 5, 3), f"expected (B, T, H) = (2, 5, 3), got {tuple(states.shape)}"
torch.testing.assert_close(states, rnn(xs, h0[None])[0])
print("rnn_unroll matches nn.RNN")
utils.checks.check("test_rnn_unroll", globals())  # the same checks as grading, on public inputs
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
# A network that only looks at the last input, doubled: the norm is 2 * sqrt(D) there, 0 elsewhere.
xs = torch.randn(6, 4)
norms = input_gradient_norms(lambda seq: 2 * seq[-1], xs)
assert norms.shape == (6,), f"expected one norm per position, shape (6,), got {tuple(norms.shape)}"
torch.testing.assert_close(norms, torch.tensor([0.0] * 5 + [4.0]))
print("input_gradient_norms is right on a network we can solve by hand")
utils.checks.check("test_input_gradient_norms", globals())  # the same checks as grading, on public inputs
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
# `utils.recurrent.input_gradient_norms`, the tested version of your function.

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
    return {name: utils.recurrent.input_gradient_norms(net, xs).flip(0).detach() for name, net in NETWORKS.items()}


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
tokens, targets = make_recall_batch(4, 3, torch.Generator().manual_seed(0))
assert tokens.shape == (4, 4) and targets.shape == (4,), f"got shapes {tuple(tokens.shape)}, {tuple(targets.shape)}"
assert tokens.dtype == torch.long and targets.dtype == torch.long, "tokens and targets must be torch.long"
assert torch.equal(tokens[:, 0], targets), "the target of a row is its first token"
print(tokens)
utils.checks.check("test_make_recall_batch", globals())  # the same checks as grading, on public inputs
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
# Three small models read the same sequences. The two recurrent ones must carry the key in their
# hidden state across every filler token. The attention model is one `utils.EncoderLayer` over
# token embeddings plus the sinusoidal positional encoding from `utils`: its last position can look
# straight back at the key. Each model gets the same budget: 300 optimiser steps of 32 sequences,
# trained with `utils.train`, on batches from `utils.recurrent.make_recall_batch` (the tested
# version of your function).

# %%
NUM_KEYS, VOCAB_SIZE = 8, 32  # the recall task's sizes (as in the exercise above)


class RecurrentReader(nn.Module):
    # tokens (B, T) -> key logits (B, NUM_KEYS), read off the last hidden state
    def __init__(self, kind, d_embed=32, d_hidden=64):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, d_embed)
        self.rnn = {"RNN": nn.RNN, "LSTM": nn.LSTM}[kind](d_embed, d_hidden, batch_first=True)
        self.head = nn.Linear(d_hidden, NUM_KEYS)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))  # (B, T, d_hidden)
        return self.head(states[:, -1])


class AttentionReader(nn.Module):
    # tokens (B, T) -> key logits (B, NUM_KEYS), read off the last position after one attention layer
    def __init__(self, d_model=32):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, d_model)
        self.position = utils.PositionalEncoding(d_model, max_len=512)
        self.layer = utils.EncoderLayer(d_model, num_heads=2, d_ff=64, dropout=0.0)
        self.head = nn.Linear(d_model, NUM_KEYS)

    def forward(self, tokens):
        return self.head(self.layer(self.position(self.embed(tokens)))[:, -1])


def recall_loss(model, batch):
    tokens, targets = batch
    return F.cross_entropy(model(tokens), targets)


def train_and_test(kind, distance, steps=300):
    utils.seed_everything(0)
    model = AttentionReader() if kind == "attention" else RecurrentReader(kind)
    batches = torch.Generator().manual_seed(1)
    utils.train(model, lambda: utils.recurrent.make_recall_batch(32, distance, batches, NUM_KEYS, VOCAB_SIZE), recall_loss,
                steps=steps, lr=3e-3, progress=False)
    tokens, targets = utils.recurrent.make_recall_batch(1000, distance, torch.Generator().manual_seed(2), NUM_KEYS, VOCAB_SIZE)
    with torch.no_grad():
        return (model(tokens).argmax(dim=-1) == targets).float().mean().item()


# %%
DISTANCES = [2, 5, 10, 20, 40]
KINDS = ["RNN", "LSTM", "attention"]
results = {kind: [] for kind in KINDS}
runs = [(kind, distance) for kind in KINDS for distance in DISTANCES]
for kind, distance in utils.training.tqdm(runs, desc="training 15 models"):
    results[kind].append(train_and_test(kind, distance))

fig, ax = plt.subplots(figsize=(7, 3.5))
for kind in KINDS:
    ax.plot(DISTANCES, results[kind], marker="o", label=kind)
ax.axhline(1 / NUM_KEYS, color="grey", linestyle="--", label="guessing")
ax.set_xlabel("distance between the key and the end")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.05)
ax.legend()
plt.show()
for kind in KINDS:
    solved = [d for d, acc in zip(DISTANCES, results[kind]) if acc >= 0.95]
    print(f"{kind:>9} is at least 95% right up to distance: {max(solved) if solved else 'none'}")


# %% [markdown]
# With the same small budget, the recurrent models stop solving the task once the key is far away:
# their accuracy drops towards guessing. The attention model solves it at every distance. (Given
# far more training, an LSTM does get further than a plain RNN; that is why LSTMs ruled from 1997
# to 2017. But the distance it can bridge is learned slowly, and it is never free.)
#
# ## 4. No parallelism: time is sequential
#
# Your `rnn_unroll` made `T` dependent steps. A GPU has thousands of cores but cannot start step
# $t$ before step $t-1$ ends. Attention instead computes every position at once with a few large
# matrix products, which is precisely the work that GPUs (and CPU vector units) are built for.
#
# Below we time one forward pass of PyTorch's optimised `nn.RNN`, a Python loop like yours
# (`utils.recurrent.rnn_unroll`), and
# `utils.MultiHeadAttention` as the sequence grows. Timings depend on your machine, so this cell
# prints no numbers; the shape of the curves is the lesson.

# %%
def seconds(fn, repeats=3):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


LENGTHS = [32, 64, 128, 256, 512]
d = 64
cell = nn.RNNCell(d, d)
rnn_module = nn.RNN(d, d, batch_first=True)
mha = utils.MultiHeadAttention(d, num_heads=4)
timings = {"rnn_unroll (Python loop)": [], "nn.RNN (C++ loop)": [], "self-attention": []}
with torch.no_grad():
    for length in LENGTHS:
        x = torch.randn(8, length, d)
        h0 = torch.zeros(8, d)
        timings["rnn_unroll (Python loop)"].append(seconds(lambda: utils.recurrent.rnn_unroll(x, h0, cell)))
        timings["nn.RNN (C++ loop)"].append(seconds(lambda: rnn_module(x)))
        timings["self-attention"].append(seconds(lambda: mha(x, x, x)))

fig, ax = plt.subplots(figsize=(7, 3.5))
for name, values in timings.items():
    ax.loglog(LENGTHS, [1e3 * v for v in values], marker="o", label=name)
ax.set_xlabel("sequence length T")
ax.set_ylabel("milliseconds per forward pass")
ax.legend()
plt.show()
print("sequential steps at T = 512:  RNN", LENGTHS[-1], "| attention 1")

# %% [markdown]
# Attention does more arithmetic in total (every position compares itself with every other, so the
# work grows as $T^2$), yet it is not bound to a chain of `T` steps. On a GPU the gap widens
# further. That trade — more arithmetic, no sequential chain — is what made it possible to train on
# far larger datasets, and it is why training times dropped from weeks to days.
#
# ## 5. How we got here

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
    subprocess.run([sys.executable, str(check), "01_why_transformers.ipynb"], cwd=here)

# %% [markdown]
# ## Summary
#
# - A recurrent network reads one token per step through a hidden state. You wrote that step and
#   its loop, and matched PyTorch.
# - Its gradient shrinks exponentially with distance (you measured it); LSTM gates slow the decay
#   but do not remove it. One attention layer connects every position directly.
# - On the memory task, the recurrent models fell to guessing once the key was far away, while one
#   attention layer solved every distance with the same budget.
# - The recurrence is a chain of `T` dependent steps; attention does its work in a few large
#   parallel matrix products.
#
# **Next: Lesson 02 — Attention.** You will build the mechanism itself: queries, keys and values,
# the scaled dot product, masks, and you will read the attention of a real pretrained model.
