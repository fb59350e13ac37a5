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
# # Lesson 03 — Multi-head attention
#
# In lesson 02 you read the attention of all-MiniLM-L6-v2 and found that it does not run one attention
# per layer but twelve, called **heads**, and that they behaved differently: one head pointed every word
# at the subject of the sentence, another reacted to what "it" meant. This lesson is about why a layer
# has several heads, and how they are computed together in a single pass.
#
# One head gives each query **one** weighted average of the values. A word often needs several things
# at once: its neighbour (for grammar), a noun several words back (for meaning), a hint that nothing
# else is relevant. A single average blurs them together. Several heads, each with its own smaller
# queries, keys and values, can each look somewhere else; their results are then concatenated and
# mixed by one more linear map.
#
# **You will**
# 1. measure, on the real model, what each of its 72 heads attends to (the previous token, the next
#    token, itself, `[CLS]`, `[SEP]`), sort the heads into kinds, and see the 12 heads of a layer at once;
# 2. implement splitting a `d_model`-wide tensor into heads and merging it back;
# 3. run attention in every head at once;
# 4. write the full multi-head attention forward pass and match `torch.nn.MultiheadAttention`, weight
#    for weight;
# 5. count its parameters and its floating-point operations (checked against PyTorch), and measure how
#    its run time grows with the sequence length.
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
import math
import time

import matplotlib.pyplot as plt
import torch.nn as nn
import torch.nn.functional as F
from ipywidgets import IntSlider
from torch.utils.flop_counter import FlopCounterMode

from utils import plot_attention_heads, interactive_figure

# %% [markdown]
# ## 1. Heads specialise: evidence from a real model
#
# We load the pretrained encoder once (as in lesson 02, from an installed package, no download) and
# collect its attention maps, `(6 layers, 12 heads, L, L)`, for four sentences.

# %%
model, tokenizer = utils.load_minilm(device)
SENTENCES = [
    "The cat sat on the mat because it was tired.",
    "The bank can guarantee deposits will cover future housing loans.",
    "Attention lets every word look directly at every other word in the sentence.",
    "My grandmother grew tomatoes, beans and sunflowers in her small garden last summer.",
]
maps = [model.attention_maps(s) for s in SENTENCES]   # [(tokens, attn (6, 12, L, L)), ...]
num_layers, num_heads = maps[0][1].shape[:2]
print(num_layers, "layers x", num_heads, "heads =", num_layers * num_heads, "attention maps per sentence")

# %% [markdown]
# To describe what a head does, we measure where its words send their attention. For every real word
# (not `[CLS]` or `[SEP]` themselves) we read five weights: on the **previous** token, on the **next**
# token, on **itself**, on **`[CLS]`** (position 0) and on **`[SEP]`** (the last position). Averaged over
# the words and the four sentences, each head gets five *shares* between 0 and 1.
#
# The indexing trick: `attn[..., rows, cols]` with two index tensors of the same length picks the
# pairs `(rows[i], cols[i])`, so `attn[..., words, words - 1]` is every word's weight on the token
# before it.

# %%
RELATIONS = ["previous", "next", "self", "[CLS]", "[SEP]"]


def relation_shares(attn):
    """attn (layers, heads, L, L) of one sentence -> (layers, heads, 5): the mean weight that its
    words put on the previous token, the next token, themselves, [CLS] and [SEP]."""
    length = attn.shape[-1]
    words = torch.arange(1, length - 1)   # the real tokens, between [CLS] and [SEP]
    targets = [words - 1, words + 1, words, torch.zeros_like(words), torch.full_like(words, length - 1)]
    return torch.stack([attn[..., words, t] for t in targets], dim=-1).mean(dim=-2)


shares = torch.stack([relation_shares(attn) for _, attn in maps]).mean(dim=0)   # (6, 12, 5)

fig, axes = plt.subplots(1, len(RELATIONS), figsize=(15, 2.6))
for r, (ax, name) in enumerate(zip(axes, RELATIONS)):
    image = ax.imshow(shares[..., r], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"share on {name}")
    ax.set_xlabel("head")
    ax.set_xticks(range(0, num_heads, 2))
axes[0].set_ylabel("layer")
fig.colorbar(image, ax=axes, fraction=0.015)
plt.show()

# %% [markdown]
# Each panel is one relation; each cell one head. A head whose words put at least half of their weight
# on one relation is named after it; the others are "mixed": where they look depends on *which* words
# are in the sentence rather than on positions, which is where heads like the "it" → "cat" ones of
# lesson 02 live.

# %%
best_share, best_relation = shares.max(dim=-1)   # (6, 12) each
kind = [[RELATIONS[best_relation[l, h]] if best_share[l, h] >= 0.5 else "mixed" for h in range(num_heads)]
        for l in range(num_layers)]

KINDS = RELATIONS + ["mixed"]
SHORT = {"previous": "prev", "next": "next", "self": "self", "[CLS]": "CLS", "[SEP]": "SEP", "mixed": "mix"}
codes = torch.tensor([[KINDS.index(k) for k in row] for row in kind])
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.imshow(codes, cmap="tab10", vmin=0, vmax=9)
for l in range(num_layers):
    for h in range(num_heads):
        ax.text(h, l, SHORT[kind[l][h]], ha="center", va="center", fontsize=7, color="white")
ax.set_xticks(range(num_heads))
ax.set_xlabel("head")
ax.set_ylabel("layer")
ax.set_title("What each head of all-MiniLM-L6-v2 mostly attends to")
plt.show()

for k in KINDS:
    heads = [(l, h) for l in range(num_layers) for h in range(num_heads) if kind[l][h] == k]
    example = "" if not heads or k == "mixed" else \
        f"   e.g. layer {heads[0][0]} head {heads[0][1]} ({best_share[heads[0]]:.2f} on {k})"
    print(f"{k:>9}: {len(heads):2d} head{'' if len(heads) == 1 else 's'}{example}")
print("the lesson 02 heads: layer 5 head 11 is", kind[5][11], "| layer 3 head 1 is", kind[3][1])

# %% [markdown]
# Three kinds stand out.
#
# - **Positional heads.** Layer 0, head 2 sends essentially all of every word's attention to the
#   previous token, and layer 1, head 8 mostly to the next one. They do not care what the words are,
#   only where they are: they hand each word its neighbours, like an n-gram model would.
# - **Sink heads.** Many heads put most of their weight on `[CLS]`. A softmax must spend its whole
#   budget somewhere; a head with nothing useful to add for a word parks the weight on a token whose
#   value changes the word little. In the original BERT that parking spot is often `[SEP]`; in this
#   model it is `[CLS]`, and `[SEP]` gets little weight in every head: we measured it rather than assume it.
# - **Mixed (content) heads**, especially in the last layer: their weights depend on the meaning of
#   the words. The two heads that linked "it" to "cat" in lesson 02 are of this kind.
#
# Nobody designed these roles; they emerged from training, because separate heads *can* specialise.
#
# ### All 12 heads of a layer in one figure
#
# `utils.plot_attention_heads` draws one layer's `(12, L, L)` weights as twelve heat maps on a
# common colour scale. Layer 0 of the first sentence shows the previous-token head as a clean line just
# below the diagonal.

# %%
tokens, attn = maps[0]
plot_attention_heads(attn[0], tokens=tokens, title=f"layer 0: {SENTENCES[0]}")
plt.show()

# %% [markdown]
# Move the slider to see the other layers: the sink heads make a bright first column, the next-token
# head of layer 1 a line just above the diagonal, and the last layer looks more varied.

# %%
interactive_figure(
    lambda axes, layer: plot_attention_heads(attn[layer], tokens=tokens, axes=axes),
    axes=(3, 4), figsize=(11, 9.5),
    layer=IntSlider(value=1, min=0, max=num_layers - 1, description="layer"),
)


# %% [markdown]
# ## 2. Splitting a vector into heads
#
# How do 12 heads fit into one layer without 12 times the work? Each token's query is a vector of
# `d_model = 384` numbers. Multi-head attention simply **cuts it into 12 slices** of `d_head = 32`
# numbers: slice $h$ is the query of head $h$. The same goes for the keys and the values. Every head then
# runs scaled dot-product attention in its own 32-dimensional space, and the 12 outputs of 32 numbers
# are glued back into 384.
#
# In tensor terms, for a batch of `B` sequences of length `L`:
#
# ```
# (B, L, d_model)  --view-->  (B, L, H, d_head)  --transpose(1, 2)-->  (B, H, L, d_head)
# ```
#
# The transpose moves the head dimension next to the batch dimension, so that `@` treats
# `(B, H)` as a batch of independent attention problems, exactly what lesson 02's function expects.
#
# ### Exercise 1 — split into heads [2 points]
# Implement `split_heads(x, num_heads)`: `x (B, L, d_model)` → `(B, num_heads, L, d_head)` with
# `d_head = d_model // num_heads`, where head `h` holds the columns `h * d_head` to `(h + 1) * d_head - 1`.
# If `d_model` is not divisible by `num_heads`, raise a `ValueError` that says both numbers.

# %% nbgrader={"grade": false, "grade_id": "split_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def split_heads(x, num_heads):
    """(B, L, d_model) -> (B, num_heads, L, d_model // num_heads): head h gets its own slice of columns."""
    ### BEGIN SOLUTION
    B, length, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
    return x.view(B, length, num_heads, d_model // num_heads).transpose(1, 2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_split_heads", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_split_heads", globals())  # first the checks grading runs (public inputs): they name typical mistakes
x = torch.arange(2 * 3 * 8, dtype=torch.float32).view(2, 3, 8)   # B=2, L=3, d_model=8
heads = split_heads(x, 4)
assert heads.shape == (2, 4, 3, 2), f"expected (B, H, L, d_head) = (2, 4, 3, 2), got {tuple(heads.shape)}"
torch.testing.assert_close(heads[:, 1], x[:, :, 2:4])   # head 1 = columns 2 and 3
try:
    split_heads(x, 3)
except ValueError as err:
    print("8 columns into 3 heads is refused:", err)
else:
    raise AssertionError("d_model = 8 with num_heads = 3 should raise a ValueError")
print("split_heads gives every head its own slice of columns")
### BEGIN HIDDEN TESTS
for B, length, num_heads, d_head in [(1, 1, 1, 1), (3, 7, 12, 32), (2, 5, 3, 4), (4, 2, 8, 1)]:
    x = torch.randn(B, length, num_heads * d_head)
    got = split_heads(x, num_heads)
    assert got.shape == (B, num_heads, length, d_head), got.shape
    torch.testing.assert_close(got, utils.MultiHeadAttention(num_heads * d_head, num_heads).split_heads(x))
    for h in range(num_heads):
        torch.testing.assert_close(got[:, h], x[:, :, h * d_head:(h + 1) * d_head])
for d_model, num_heads in [(10, 4), (6, 5)]:
    try:
        split_heads(torch.randn(1, 2, d_model), num_heads)
        raise AssertionError(f"d_model={d_model}, num_heads={num_heads} must raise a ValueError")
    except ValueError:
        pass
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2 — merge the heads back [2 points]
# Implement `merge_heads(x)`, the inverse: `(B, H, L, d_head)` → `(B, L, H * d_head)`, so that
# `merge_heads(split_heads(x, H))` gives back `x`. One trap: after a `transpose` the numbers are no
# longer laid out row by row in memory, and `.view` refuses to reshape such a tensor; `.reshape`
# copies when it must (or call `.contiguous()` first).

# %% nbgrader={"grade": false, "grade_id": "merge_heads", "locked": false, "schema_version": 3, "solution": true, "task": false}
def merge_heads(x):
    """(B, H, L, d_head) -> (B, L, H * d_head): concatenate the heads' outputs, head 0 first."""
    ### BEGIN SOLUTION
    B, num_heads, length, d_head = x.shape
    return x.transpose(1, 2).reshape(B, length, num_heads * d_head)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_merge_heads", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_merge_heads", globals())  # first the checks grading runs (public inputs): they name typical mistakes
x = torch.arange(2 * 3 * 8, dtype=torch.float32).view(2, 3, 8)
merged = merge_heads(split_heads(x, 4))
assert merged.shape == (2, 3, 8), f"expected (B, L, d_model) = (2, 3, 8), got {tuple(merged.shape)}"
torch.testing.assert_close(merged, x)
print("merge_heads undoes split_heads")
### BEGIN HIDDEN TESTS
for B, num_heads, length, d_head in [(1, 1, 1, 1), (3, 12, 7, 32), (2, 3, 5, 4), (2, 8, 1, 2)]:
    x = torch.randn(B, num_heads, length, d_head)
    got = merge_heads(x)
    assert got.shape == (B, length, num_heads * d_head), got.shape
    torch.testing.assert_close(got, utils.MultiHeadAttention(num_heads * d_head, num_heads).merge_heads(x))
    for h in range(num_heads):
        torch.testing.assert_close(got[:, :, h * d_head:(h + 1) * d_head], x[:, h])
    y = torch.randn(B, length, num_heads * d_head)
    torch.testing.assert_close(merge_heads(utils.MultiHeadAttention(num_heads * d_head, num_heads).split_heads(y)), y)
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Attention in every head at once
#
# With queries, keys and values already computed (each `(B, L, d_model)`), multi-head attention is:
# split each into heads, run scaled dot-product attention on the `(B, H, L, d_head)` tensors (all heads
# in one call, since `H` is just another batch dimension), and merge the outputs. Note that each head
# divides its scores by $\sqrt{d_{head}}$, the size of *its* vectors, not by $\sqrt{d_{model}}$.
#
# A mask (True = may attend) of shape `(Lq, Lk)` or `(B, 1, Lq, Lk)` or `(B, 1, 1, Lk)` broadcasts over
# the head dimension unchanged: every head obeys the same mask.
#
# ### Exercise 3 — per-head attention, then merge [2 points]
# Implement `multi_head_attend(q, k, v, num_heads, mask=None)`: `q (B, Lq, d_model)`,
# `k` and `v (B, Lk, d_model)`. Return `(output (B, Lq, d_model), weights (B, num_heads, Lq, Lk))`.
# Use your `split_heads` and `merge_heads`, and `utils.scaled_dot_product_attention` (the tested version
# of what you wrote in lesson 02), which returns `(output, weights)`.

# %% nbgrader={"grade": false, "grade_id": "multi_head_attend", "locked": false, "schema_version": 3, "solution": true, "task": false}
def multi_head_attend(q, k, v, num_heads, mask=None):
    """Already-projected q (B, Lq, d), k, v (B, Lk, d) -> (output (B, Lq, d), weights (B, H, Lq, Lk))."""
    ### BEGIN SOLUTION
    out, weights = utils.scaled_dot_product_attention(
        split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads), mask=mask)
    return merge_heads(out), weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attend", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_multi_head_attend", globals())  # first the checks grading runs (public inputs): they name typical mistakes
def one_head_at_a_time(q, k, v, num_heads, mask=None):
    """The slow, obvious version: slice each head's columns and attend, one head after the other."""
    d_head = q.size(-1) // num_heads
    if mask is not None and mask.dim() == 4:
        mask = mask[:, 0]   # (B, 1, ., Lk) -> (B, ., Lk): one head's scores have no head dimension
    outs, weights = [], []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        o, w = utils.scaled_dot_product_attention(q[..., cols], k[..., cols], v[..., cols], mask=mask)
        outs.append(o)
        weights.append(w)
    return torch.cat(outs, dim=-1), torch.stack(weights, dim=1)


q, k, v = torch.randn(2, 5, 12), torch.randn(2, 5, 12), torch.randn(2, 5, 12)
out, w = multi_head_attend(q, k, v, num_heads=3)
assert out.shape == (2, 5, 12) and w.shape == (2, 3, 5, 5), f"got {tuple(out.shape)} and {tuple(w.shape)}"
ref_out, ref_w = one_head_at_a_time(q, k, v, 3)
torch.testing.assert_close(out, ref_out)
torch.testing.assert_close(w, ref_w)
print("all heads at once == one head at a time")
### BEGIN HIDDEN TESTS
for B, lq, lk, num_heads, d_head in [(1, 1, 1, 1, 1), (3, 6, 9, 4, 8), (2, 7, 7, 12, 5)]:
    d = num_heads * d_head
    q, k, v = torch.randn(B, lq, d), torch.randn(B, lk, d), torch.randn(B, lk, d)
    out, w = multi_head_attend(q, k, v, num_heads)
    ref_out, ref_w = one_head_at_a_time(q, k, v, num_heads)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(w, ref_w)
    for mask in (torch.rand(lq, lk) < 0.6, torch.rand(B, 1, lq, lk) < 0.6, torch.rand(B, 1, 1, lk) < 0.6):
        mask[..., 0] = True   # every query keeps at least one key
        out, w = multi_head_attend(q, k, v, num_heads, mask=mask)
        ref_out, ref_w = one_head_at_a_time(q, k, v, num_heads, mask=mask)
        torch.testing.assert_close(out, ref_out)
        torch.testing.assert_close(w, ref_w)
### END HIDDEN TESTS

# %% [markdown]
# That is all the real model does. Below, the queries, keys and values of layer 0 of MiniLM are
# computed by hand from its own projection matrices and split into its 12 heads; the weights come out
# equal to the ones `model.attention_maps` reported in section 1. (This cell uses the tested `utils`
# versions of your functions, `MultiHeadAttention.split_heads`, so that it runs even if an exercise
# above is unfinished.)

# %%
layer0 = model.layers[0].self_attn   # a utils.MultiHeadAttention with d_model 384 and 12 heads
with torch.no_grad():
    x = model.embeddings(model.tokenize(SENTENCES[0])["input_ids"])   # (1, L, 384): what layer 0 reads
    q, k, v = (layer0.split_heads(proj(x)) for proj in (layer0.q_proj, layer0.k_proj, layer0.v_proj))
    _, by_hand = utils.scaled_dot_product_attention(q, k, v)   # (1, 12, L, L)
print("query per head:", tuple(q.shape), "= (B, heads, L, d_head)")
difference = (by_hand[0].cpu() - maps[0][1][0]).abs().max().item()
print(f"largest difference from model.attention_maps: {difference:.6f} (threshold 0.00001)")


# %% [markdown]
# ## 4. The full forward pass, checked against PyTorch
#
# The whole layer, as in *Attention Is All You Need*:
#
# $$\text{MultiHead}(Q, K, V) = \text{Concat}(\text{head}_1, \dots, \text{head}_H)\,W^O,
# \qquad \text{head}_h = \text{Attention}(Q W^Q_h,\; K W^K_h,\; V W^V_h)$$
#
# The $H$ small projections $W^Q_h$ of size $d_{model} \times d_{head}$ sit side by side in one
# $d_{model} \times d_{model}$ matrix $W^Q$ (that is why splitting the *projected* vector into column
# slices is the same as giving each head its own projection), and likewise for $W^K$, $W^V$.
# $W^O$ then mixes the heads' concatenated outputs.
#
# `torch.nn.MultiheadAttention` stores its weights in its own way, and reading them is part of the job:
#
# - `in_proj_weight`, shape `(3 * d_model, d_model)`: the weights of the query, key and value
#   projections **stacked**, rows `0 .. d-1` for the query, then the key, then the value; `in_proj_bias`,
#   shape `(3 * d_model,)`, the same way. They are in `nn.Linear`'s layout: `F.linear(x, W, b)` computes
#   `x @ W.T + b`.
# - `out_proj`, an `nn.Linear(d_model, d_model)`: $W^O$ and its bias.
# - Its boolean `attn_mask` means the **opposite** of ours: True = *not* allowed. We pass it `~mask`.
# - It returns the weights averaged over the heads unless called with `average_attn_weights=False`.
#
# ### Exercise 4 — multi-head attention, with PyTorch's weights [3 points]
# Implement `mha_forward(query, key, value, mha, mask=None)`: `mha` is a `torch.nn.MultiheadAttention`
# built with `batch_first=True` and biases; `query (B, Lq, d_model)`, `key` and `value (B, Lk, d_model)`;
# `mask` in our convention (True = may attend). Project with `mha`'s weights, attend in
# `mha.num_heads` heads (your `multi_head_attend`), and apply the output projection. Return
# `(output (B, Lq, d_model), weights (B, num_heads, Lq, Lk))`.

# %% nbgrader={"grade": false, "grade_id": "mha_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mha_forward(query, key, value, mha, mask=None):
    """nn.MultiheadAttention's forward, computed by hand from its weights -> (output, per-head weights)."""
    ### BEGIN SOLUTION
    W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)   # each (d_model, d_model)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)     # each (d_model,)
    q, k, v = F.linear(query, W_q, b_q), F.linear(key, W_k, b_k), F.linear(value, W_v, b_v)
    out, weights = multi_head_attend(q, k, v, mha.num_heads, mask=mask)
    return mha.out_proj(out), weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mha_forward", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_mha_forward", globals())  # first the checks grading runs (public inputs): they name typical mistakes
mha = nn.MultiheadAttention(embed_dim=16, num_heads=4, batch_first=True)
x = torch.randn(2, 6, 16)
causal = utils.causal_mask(6)   # ours: True = may attend
mine, my_weights = mha_forward(x, x, x, mha, mask=causal)
theirs, their_weights = mha(x, x, x, attn_mask=~causal, average_attn_weights=False)   # theirs: True = blocked
assert mine.shape == (2, 6, 16) and my_weights.shape == (2, 4, 6, 6), f"got {tuple(mine.shape)}, {tuple(my_weights.shape)}"
torch.testing.assert_close(mine, theirs)
torch.testing.assert_close(my_weights, their_weights)
print("mha_forward matches torch.nn.MultiheadAttention")
### BEGIN HIDDEN TESTS
with torch.no_grad():
    for B, lq, lk, d, num_heads in [(1, 1, 1, 4, 1), (3, 5, 9, 24, 6), (2, 7, 7, 64, 8)]:
        mha = nn.MultiheadAttention(d, num_heads, batch_first=True)
        for p in mha.parameters():
            p.uniform_(-0.5, 0.5)   # non-zero biases everywhere
        q, k, v = torch.randn(B, lq, d), torch.randn(B, lk, d), torch.randn(B, lk, d)
        mine, my_w = mha_forward(q, k, v, mha)
        theirs, their_w = mha(q, k, v, average_attn_weights=False)
        torch.testing.assert_close(mine, theirs)
        torch.testing.assert_close(my_w, their_w)
        # a (Lq, Lk) mask
        mask = torch.rand(lq, lk) < 0.6
        mask[:, 0] = True
        mine, my_w = mha_forward(q, k, v, mha, mask=mask)
        theirs, their_w = mha(q, k, v, attn_mask=~mask, average_attn_weights=False)
        torch.testing.assert_close(mine, theirs)
        torch.testing.assert_close(my_w, their_w)
        # a padding mask (B, 1, 1, Lk): PyTorch's key_padding_mask (B, Lk) is True at padding
        keep = torch.rand(B, lk) < 0.7
        keep[:, 0] = True
        mine, my_w = mha_forward(q, k, v, mha, mask=keep[:, None, None, :])
        theirs, their_w = mha(q, k, v, key_padding_mask=~keep, average_attn_weights=False)
        torch.testing.assert_close(mine, theirs)
        torch.testing.assert_close(my_w, their_w)
### END HIDDEN TESTS

# %% [markdown]
# Your function and PyTorch's module now compute the same numbers from the same weights. `utils`
# has the same layer as a module, `utils.MultiHeadAttention`, with the four projections as separate
# `nn.Linear`s (`q_proj`, `k_proj`, `v_proj`, `out_proj`): it is the layer inside the MiniLM model.
#
# ## 5. What multi-head attention costs
#
# ### Parameters
# The layer learns four $d_{model} \times d_{model}$ matrices ($W^Q, W^K, W^V, W^O$) and, with biases,
# four vectors of $d_{model}$ numbers. Notice what is missing from that count: the number of heads.
# Splitting into heads only decides which columns are scored together; it adds no weights.
#
# ### Exercise 5 — count the parameters [1 point]
# Implement `mha_parameter_count(d_model, num_heads, bias=True)`: the number of learned numbers in
# `nn.MultiheadAttention(d_model, num_heads, bias=bias)`.

# %% nbgrader={"grade": false, "grade_id": "mha_parameter_count", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mha_parameter_count(d_model, num_heads, bias=True):
    """Learned numbers in a multi-head attention layer (the same for any num_heads)."""
    ### BEGIN SOLUTION
    return 4 * d_model * d_model + (4 * d_model if bias else 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mha_parameter_count", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_mha_parameter_count", globals())  # first the checks grading runs (public inputs): they name typical mistakes
def count(module):
    return sum(p.numel() for p in module.parameters())


assert mha_parameter_count(384, 12) == count(nn.MultiheadAttention(384, 12)), \
    f"got {mha_parameter_count(384, 12)}, nn.MultiheadAttention(384, 12) has {count(nn.MultiheadAttention(384, 12))}"
print("one MiniLM attention layer:", mha_parameter_count(384, 12), "parameters")
### BEGIN HIDDEN TESTS
for d_model, num_heads, bias in [(8, 1, True), (8, 8, False), (64, 4, True), (512, 8, False), (96, 12, True)]:
    expected = count(nn.MultiheadAttention(d_model, num_heads, bias=bias))
    assert mha_parameter_count(d_model, num_heads, bias=bias) == expected, (d_model, num_heads, bias)
    assert mha_parameter_count(d_model, num_heads, bias=bias) == count(utils.MultiHeadAttention(d_model, num_heads, bias=bias))
### END HIDDEN TESTS

# %% [markdown]
# ### Floating-point operations
# Run time is dominated by the matrix products. Multiplying an $(n \times m)$ matrix by an
# $(m \times p)$ one takes $n \cdot m \cdot p$ multiply-adds, which PyTorch's counter
# (`torch.utils.flop_counter.FlopCounterMode`) counts as $2 n m p$ floating-point operations (FLOPs).
# For a batch of $B$, with $L_q$ queries, $L_k$ keys and values, and width $d$ = `d_model`:
#
# - the query projection: $(B L_q \times d)$ times $(d \times d)$; the key and the value projections: $(B L_k \times d)$ times $(d \times d)$ each;
# - the scores: for each of the $B \cdot H$ heads, $(L_q \times d_{head})$ times $(d_{head} \times L_k)$, and $H \cdot d_{head} = d$;
# - the weighted sum of the values: for each head, $(L_q \times L_k)$ times $(L_k \times d_{head})$;
# - the output projection: $(B L_q \times d)$ times $(d \times d)$.
#
# ### Exercise 6 — count the FLOPs [2 points]
# Implement `mha_flops(batch, len_q, len_k, d_model, num_heads)`: the FLOPs of one forward pass of
# multi-head attention, counting only these matrix products, at 2 FLOPs per multiply-add (softmax,
# scaling and biases are comparatively cheap and not counted). The test compares your count with
# PyTorch's `FlopCounterMode` running `nn.MultiheadAttention`.

# %% nbgrader={"grade": false, "grade_id": "mha_flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mha_flops(batch, len_q, len_k, d_model, num_heads):
    """FLOPs (2 per multiply-add) of the matrix products in one multi-head attention forward pass."""
    ### BEGIN SOLUTION
    projections = 2 * batch * d_model * d_model * (len_q + 2 * len_k + len_q)  # Q; K and V; output
    attention = 2 * 2 * batch * len_q * len_k * d_model  # scores, then weights @ values, over all heads
    return projections + attention
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mha_flops", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_mha_flops", globals())  # first the checks grading runs (public inputs): they name typical mistakes
def measured_flops(batch, len_q, len_k, d_model, num_heads):
    """What PyTorch's FLOP counter sees when nn.MultiheadAttention runs once."""
    mha = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
    q, kv = torch.randn(batch, len_q, d_model), torch.randn(batch, len_k, d_model)
    with FlopCounterMode(display=False) as counter:
        mha(q, kv, kv)
    return counter.get_total_flops()


got, expected = mha_flops(2, 10, 10, 64, 4), measured_flops(2, 10, 10, 64, 4)
assert got == expected, f"mha_flops(2, 10, 10, 64, 4) = {got}, PyTorch counted {expected}"
print("mha_flops(2, 10, 10, 64, 4) =", got, "= PyTorch's count")
### BEGIN HIDDEN TESTS
for args in [(1, 1, 1, 4, 1), (3, 7, 13, 48, 6), (2, 33, 5, 16, 2), (1, 128, 128, 96, 12)]:
    assert mha_flops(*args) == measured_flops(*args), args
### END HIDDEN TESTS

# %% [markdown]
# For self-attention ($L_q = L_k = L$) the count is $8 B L d^2 + 4 B L^2 d$. The projections grow
# **linearly** with the length, the attention itself **quadratically**: every token is scored against
# every token. The quadratic part takes over once $L > 2d$, and for a long document it dominates.
# Like the scores, the weights are an $L \times L$ table per head, so memory grows the same way.
#
# ### Time against sequence length
# Below we time one `utils.MultiHeadAttention` layer ($d_{model} = 64$, 4 heads) on the CPU, on
# sequences of growing length, both the plain version that materialises the weights (what you wrote)
# and PyTorch's fused kernel, on a single thread and keeping the fastest of five runs to reduce noise. Next to it, the FLOPs that PyTorch counts
# for the same layer. Both axes are logarithmic, so a power law is a straight line and its slope is the
# exponent; the dashed line has slope 2. Timings depend on your machine, so the cell prints no times.

# %%
LENGTHS = [128, 256, 512, 1024, 2048]
layer = utils.MultiHeadAttention(64, num_heads=4).eval()


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


RUNS = {"materialised weights": lambda x: layer(x, x, x, need_weights=True), "fused kernel": lambda x: layer(x, x, x)}
inputs = {length: torch.randn(1, length, 64) for length in LENGTHS}
timings = {name: [float("inf")] * len(LENGTHS) for name in RUNS}
threads = torch.get_num_threads()
torch.set_num_threads(1)   # one thread: threads that wait for each other on a busy machine distort timings
try:
    with torch.no_grad():
        for run in RUNS.values():
            run(inputs[LENGTHS[-1]])   # warm-up
        # Sweep all lengths five times and keep each one's fastest run: a moment when the machine is
        # busy with something else then slows one sweep, not one length.
        for _ in range(5):
            for i, length in enumerate(LENGTHS):
                for name, run in RUNS.items():
                    timings[name][i] = min(timings[name][i], seconds(lambda: run(inputs[length])))
finally:
    torch.set_num_threads(threads)
with torch.no_grad():
    flops = []
    for length in LENGTHS:
        with FlopCounterMode(display=False) as counter:
            RUNS["materialised weights"](inputs[length])
        flops.append(counter.get_total_flops())

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for name, seconds in timings.items():
    axes[0].loglog(LENGTHS, [1e3 * s for s in seconds], marker="o", label=name)
axes[1].loglog(LENGTHS, flops, marker="o", color="tab:green", label="FLOPs counted by PyTorch")
for ax, last in [(axes[0], 1e3 * timings["materialised weights"][-1]), (axes[1], flops[-1])]:
    ax.loglog(LENGTHS, [last * (n / LENGTHS[-1]) ** 2 for n in LENGTHS], "k--", alpha=0.5, label="∝ L² (slope 2)")
    ax.set_xticks(LENGTHS, [str(n) for n in LENGTHS])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("sequence length L")
    ax.legend()
axes[0].set_ylabel("milliseconds per forward pass")
axes[1].set_ylabel("FLOPs")
plt.tight_layout()
plt.show()
growth = [later / earlier for earlier, later in zip(flops, flops[1:])]
print("FLOPs grow by", [round(g, 2) for g in growth], "per doubling of L (x4 would be purely quadratic)")

# %% [markdown]
# The FLOPs approach a factor of 4 per doubling of the length as the quadratic term takes over. At
# long lengths both time curves run roughly parallel to the dashed slope-2 line; the version that
# materialises the weights can be steeper still, once its $L \times L$ tables outgrow the processor's
# fast cache memory. (Short sequences take well under a millisecond, too quick to time precisely.)
# The fused kernel is faster because it never writes the full weight table to memory, but it does the
# same quadratic arithmetic. This $L^2$ cost is the price of letting every
# token look at every other token, and it is why the length of a Transformer's context is limited; much
# research since 2017 has gone into cheaper approximations.

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
    subprocess.run([sys.executable, "-m", "tools.check", str(here / "03_multi_head_attention.ipynb")], cwd=check.parents[1])

# %% [markdown]
# ## Summary
#
# - A layer of all-MiniLM-L6-v2 has 12 heads, and they specialise: you measured positional heads
#   (previous and next token), sink heads that park their weight on `[CLS]`, and content heads whose
#   attention depends on the words, all emerged from training.
# - Multi-head attention cuts the projected queries, keys and values into `H` slices of
#   `d_head = d_model / H` columns (`split_heads`), attends in every head at once (the heads are just
#   another batch dimension), and concatenates the results (`merge_heads`) before the output projection.
# - Your `mha_forward` reproduces `torch.nn.MultiheadAttention` from its stacked `in_proj_weight`, with the
#   mask convention flipped.
# - The layer has $4d^2 + 4d$ parameters whatever the number of heads, and costs
#   $8BLd^2 + 4BL^2d$ FLOPs on a sequence of length $L$: linear in $L$ for the projections, quadratic
#   for the attention, and the measured time follows.
#
# **Next: Lesson 04 — The full Transformer.** Attention is one sub-layer. You will add positional
# encodings, the feed-forward network, residual connections and layer normalisation, and assemble the
# encoder and decoder of the original Transformer.
