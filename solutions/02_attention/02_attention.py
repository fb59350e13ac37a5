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
# # Lesson 02 — Attention
#
# Read *"The cat sat on the mat because it was tired."* and answer: who was tired? You link "it" to
# "cat", not to "mat", without rereading the sentence word by word. You look at the part that matters.
# **Attention** gives a model the same ability: to compute something for one position, it weighs every
# position of the input by how relevant it is, and takes the weighted mix.
#
# **You will**
# 1. run the search-engine picture of attention: a query is compared with keys, the scores become
#    weights, and the weights mix values;
# 2. search sentences by meaning with a real pretrained encoder, all-MiniLM-L6-v2;
# 3. implement dot-product scores, a numerically stable softmax and scaled dot-product attention with a
#    mask, checked against `utils` and PyTorch;
# 4. measure why the scores are divided by $\sqrt{d_k}$;
# 5. look inside the real model: which heads link "it" to "cat", and what "bank" looks at;
# 6. see where attention came from (2014): a translator that squeezes the sentence into one vector
#    against one with additive attention, which you implement, with accuracy against sentence length.
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
from functools import lru_cache

import matplotlib.pyplot as plt
import torch.nn.functional as F
from ipywidgets import IntSlider, Text

from utils import plot_attention, interactive_figure

# %% [markdown]
# ## 1. Attention is a soft search engine
#
# A search engine stores documents. Each one has a **key**, what it is about (its title and tags),
# and a **value**, what you get back when you open it. You type a **query**; the engine compares the
# query with every key, ranks the documents, and hands you the values of the best ones.
#
# Attention does the same with vectors:
#
# | search engine | attention |
# |---|---|
# | query: what you are looking for | a query vector $q$ |
# | keys: the labels of the documents | one key vector $k_j$ per position |
# | values: the documents themselves | one value vector $v_j$ per position |
# | how well a key matches the query | a score, the dot product $q \cdot k_j$ |
#
# with one difference: instead of returning only the top hit, attention turns the scores into
# **weights** that are positive and sum to one (the softmax), and returns the weighted **mix** of all
# values, $\sum_j w_j v_j$.
#
# Below, five documents are described by how much they are about three topics (their keys), and
# each value is the document's reading time in minutes. The query asks for animals, with a little
# cooking.

# %%
TOPICS = ["animals", "cooking", "sport"]
titles = ["Caring for a new kitten", "Ten quick pasta recipes", "A first marathon plan",
          "What to feed your dog", "Cooking for athletes"]
keys = torch.tensor([[1.0, 0.0, 0.0],   # (5 documents, 3 topics): what each document is about
                     [0.0, 1.0, 0.0],
                     [0.0, 0.0, 1.0],
                     [0.9, 0.4, 0.0],
                     [0.0, 0.7, 0.7]])
values = torch.tensor([[4.0], [12.0], [25.0], [6.0], [10.0]])  # (5, 1): reading time in minutes
query = torch.tensor([1.0, 0.3, 0.0])  # (3,): animals, a little cooking

scores = keys @ query                   # (5,): one match score per document
weights = torch.softmax(scores, dim=0)  # (5,): positive, summing to 1
answer = weights @ values               # (1,): the weighted mix of the values

for title, score, weight in zip(titles, scores, weights):
    print(f"{title:<26} score {score:5.2f}   weight {weight:.2f}")
print(f"blended reading time: {answer.item():.1f} minutes")

# %% [markdown]
# The two animal documents get the largest weights, and the answer lies between their reading times.
# The other documents still contribute a little: softmax never gives exactly zero.
#
# How peaked the weights are depends on the *size* of the scores. Multiply all scores by a factor
# $\beta$ before the softmax: with $\beta = 0$ every document gets the same weight (an average of
# everything); as $\beta$ grows the weights approach a one-hot vector on the best match, which is
# what a classic search engine returns. Softmax is a smooth version of "pick the best one",
# and, unlike picking, it has a gradient, so a network can learn through it.

# %%
BETAS = [0.0, 1.0, 4.0, 16.0]
fig, ax = plt.subplots(figsize=(8, 3.2))
width = 0.2
for i, beta in enumerate(BETAS):
    w = torch.softmax(beta * scores, dim=0)
    ax.bar(torch.arange(len(titles)) + (i - 1.5) * width, w, width,
           label=f"β = {beta:g}: answer {(w @ values).item():.1f} min")
ax.set_xticks(range(len(titles)), titles, rotation=15, fontsize=8)
ax.set_ylabel("weight")
ax.set_title("Larger scores make the softmax pick more sharply")
ax.legend(fontsize=8)
plt.show()
print("hard search returns:", titles[scores.argmax()])

# %% [markdown]
# In a Transformer, the queries, keys and values are not written by hand: they are computed from the
# input by three learned linear maps, and every position asks its own query at the same time. We get
# there in section 3. First, the same search with vectors that a real model computed.
#
# ## 2. Searching by meaning with a pretrained encoder
#
# all-MiniLM-L6-v2 is a small Transformer (6 layers, 384-dimensional vectors) trained so that two
# sentences with similar meanings get similar vectors. `utils.load_minilm` rebuilds it from this
# course's own `utils` modules and loads its published weights from an installed package (no
# download). `model.encode(sentences)` returns one vector per sentence, scaled to unit length, so the
# dot product of two of them is their cosine similarity: 1 for the same direction, around 0 for
# unrelated sentences. We load the model once and use it for the rest of the lesson.

# %%
model, tokenizer = utils.load_minilm(device)

documents = [
    "A kitten needs warm milk, a quiet corner and plenty of sleep.",
    "Boil the spaghetti for ten minutes, then stir in the tomato sauce.",
    "The marathon runner trained for months before the big race.",
    "Heavy rain and strong winds are expected over the weekend.",
    "The central bank raised interest rates to slow down inflation.",
    "My dog loves chasing the ball in the park every morning.",
    "Stir-fry the vegetables quickly over a very high heat.",
    "The striker scored twice in the second half of the match.",
]
questions = [
    "How should I look after a young cat?",
    "Will it be stormy on Saturday?",
    "Who won the football game?",
    "What is a quick dinner I can make?",
    "Why are mortgages getting more expensive?",
]
doc_keys = model.encode(documents)     # (8, 384): the keys, and here also the values
doc_queries = model.encode(questions)  # (5, 384)
print("keys", tuple(doc_keys.shape), "| queries", tuple(doc_queries.shape))

# %% [markdown]
# None of the questions shares an important word with its answer ("cat" and "kitten", "stormy" and
# "rain"), so word matching would fail. We score every question against every document with one
# matrix product, and turn each row into weights. Cosine similarities are small numbers (mostly
# between -0.1 and 0.6), so, as in section 1, we sharpen them by dividing by a *temperature* of 0.1.

# %%
search_scores = doc_queries @ doc_keys.T                   # (5 questions, 8 documents)
search_weights = torch.softmax(search_scores / 0.1, dim=-1)  # each row sums to 1

for question, row in zip(questions, search_weights):
    best = row.argsort(descending=True)[:2]
    print(question)
    for j in best:
        print(f"   {row[j]:.2f}  {documents[j]}")

short_docs = [" ".join(d.split()[:3]) + " ..." for d in documents]
fig, ax = plt.subplots(figsize=(9, 4))
plot_attention(search_weights, queries=questions, keys=short_docs, ax=ax,
               title="Search weights: each question spreads its attention over the documents")
ax.set_xlabel("document (key)")
ax.set_ylabel("question (query)")
plt.show()


# %% [markdown]
# Every question puts most of its weight on the right document, and the dinner question splits its
# weight between the two recipes, because both answer it. That is the "soft" in soft search: when two
# values are equally relevant, attention blends them instead of dropping one.
#
# ## 3. Building scaled dot-product attention
#
# Now we write the mechanism for a whole sequence at once. Stack the queries as the rows of a matrix
# $Q$ of shape $(L_q, d_k)$, the keys as $K$ $(L_k, d_k)$, the values as $V$ $(L_k, d_v)$. Then
#
# $$\text{Attention}(Q, K, V) = \text{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V$$
#
# 1. $QK^\top$, shape $(L_q, L_k)$: entry $(i, j)$ is the score of query $i$ against key $j$;
# 2. divide by $\sqrt{d_k}$ (section 4 measures why);
# 3. softmax along each row: row $i$ becomes the weights of query $i$;
# 4. multiply by $V$: output row $i$ is the weighted mix of the values, shape $(L_q, d_v)$.
#
# Real code also carries leading batch dimensions, such as `(batch, heads, L, d)`; the `@` operator
# treats every dimension but the last two as a batch.
#
# ### Exercise 1 — all the scores at once [2 points]
# Implement `dot_product_scores(query, key)`: `query` is `(..., Lq, d)`, `key` is `(..., Lk, d)`, with
# the same leading dimensions; return `(..., Lq, Lk)` with entry `[..., i, j]` equal to the dot product
# of query `i` and key `j`. If the last dimensions of `query` and `key` differ, raise a `ValueError`
# that says both shapes.

# %% nbgrader={"grade": false, "grade_id": "dot_product_scores", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dot_product_scores(query, key):
    """query (..., Lq, d), key (..., Lk, d) -> scores (..., Lq, Lk): every query against every key."""
    ### BEGIN SOLUTION
    if query.size(-1) != key.size(-1):
        raise ValueError(f"query and key need the same last dimension; got {tuple(query.shape)} and {tuple(key.shape)}")
    return query @ key.transpose(-2, -1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_dot_product_scores", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_dot_product_scores", globals())  # first the checks grading runs (public inputs): they name typical mistakes
q = torch.tensor([[1.0, 0.0], [1.0, 2.0]])   # 2 queries of size 2
k = torch.tensor([[3.0, 1.0], [0.0, -1.0], [1.0, 1.0]])   # 3 keys
s = dot_product_scores(q, k)
assert s.shape == (2, 3), f"expected (Lq, Lk) = (2, 3), got {tuple(s.shape)}"
torch.testing.assert_close(s, torch.tensor([[3.0, 0.0, 1.0], [5.0, -2.0, 3.0]]))
try:
    dot_product_scores(torch.ones(2, 3), torch.ones(2, 4))
except ValueError as err:
    print("mismatched sizes are refused:", err)
else:
    raise AssertionError("query (2, 3) and key (2, 4) should raise a ValueError")
print("dot_product_scores is right on a case we can check by hand")
### BEGIN HIDDEN TESTS
for shape_q, shape_k in [((1, 1), (1, 1)), ((7, 5), (4, 5)), ((2, 3, 6, 8), (2, 3, 9, 8)), ((4, 1, 16), (4, 11, 16))]:
    q, k = torch.randn(shape_q), torch.randn(shape_k)
    expected = torch.einsum("...id,...jd->...ij", q, k)
    got = dot_product_scores(q, k)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    torch.testing.assert_close(got, expected)
try:
    dot_product_scores(torch.ones(2, 5, 3), torch.ones(2, 5, 2))
    raise AssertionError("mismatched last dimensions must raise a ValueError")
except ValueError:
    pass
### END HIDDEN TESTS

# %% [markdown]
# ### Softmax, and why the textbook formula breaks
#
# $$\text{softmax}(s)_j = \frac{e^{s_j}}{\sum_k e^{s_k}}$$
#
# Computed as written, $e^{s_j}$ overflows to infinity once $s_j$ passes about 88 in float32, and
# infinity divided by infinity is `nan`. Scores that large do occur, for instance in long vectors
# without the scaling of section 4.

# %%
big = torch.tensor([1000.0, 1001.0, 1002.0])
print("exp(big)              ", torch.exp(big))
print("textbook softmax(big) ", torch.exp(big) / torch.exp(big).sum())
print("torch.softmax(big)    ", torch.softmax(big, dim=0))


# %% [markdown]
# The fix is one line of algebra. Multiplying the top and the bottom of the fraction by $e^{-c}$
# changes nothing, for any constant $c$:
#
# $$\text{softmax}(s)_j = \frac{e^{s_j - c}}{\sum_k e^{s_k - c}}$$
#
# Choose $c = \max_k s_k$. Now every exponent is at most 0, so no term overflows, and the largest term
# is exactly $e^0 = 1$, so the denominator is at least 1 and never rounds to zero. Masked positions
# will carry a score of $-\infty$ (next exercise); $e^{-\infty} = 0$, so they get weight 0, as long as
# each row has at least one finite score.
#
# ### Exercise 2 — a numerically stable softmax [2 points]
# Implement `stable_softmax(scores, dim=-1)` with the max-subtraction trick, along any dimension
# `dim`, for tensors of any shape. Use `torch.exp`, `.max`, `.sum`, but not `torch.softmax` or any
# other built-in softmax: the hidden tests switch those off. (`keepdim=True` keeps the reduced
# dimension so that the result broadcasts against `scores`.)

# %% nbgrader={"grade": false, "grade_id": "stable_softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def stable_softmax(scores, dim=-1):
    """softmax along `dim` that neither overflows for large scores nor fails on -inf entries."""
    ### BEGIN SOLUTION
    shifted = scores - scores.max(dim=dim, keepdim=True).values  # <= 0 everywhere, max exactly 0
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=dim, keepdim=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_stable_softmax", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_stable_softmax", globals())  # first the checks grading runs (public inputs): they name typical mistakes
got = stable_softmax(torch.tensor([1000.0, 1001.0, 1002.0]))
torch.testing.assert_close(got, torch.tensor([0.0900, 0.2447, 0.6652]), atol=1e-4, rtol=0)
masked = stable_softmax(torch.tensor([[2.0, float("-inf"), 0.0]]))
torch.testing.assert_close(masked, torch.tensor([[0.8808, 0.0, 0.1192]]), atol=1e-4, rtol=0)
print("stable_softmax survives large scores and -inf:", got.numpy().round(4))
### BEGIN HIDDEN TESTS
import torch.nn.functional as _F
cases = []
for shape, dim, scale in [((5,), 0, 1.0), ((3, 7), -1, 1e4), ((3, 7), 0, 50.0), ((2, 4, 6, 5), 1, 300.0), ((2, 4, 6, 5), -1, 1.0)]:
    s = scale * torch.randn(shape)
    cases.append((s, dim, torch.softmax(s, dim=dim)))
s = 100 * torch.randn(4, 9)
s[torch.rand(4, 9) < 0.4] = float("-inf")
s[:, 0] = 3.0  # every row keeps one finite score
cases.append((s, -1, torch.softmax(s, dim=-1)))

def _refuse(*args, **kwargs):
    raise AssertionError("stable_softmax must not call a built-in softmax")

saved = {(mod, name): getattr(mod, name) for mod in (torch, torch.Tensor, _F, torch.special)
         for name in ("softmax", "log_softmax") if hasattr(mod, name)}
try:
    for mod, name in saved:
        setattr(mod, name, _refuse)
    results = [stable_softmax(s, dim=dim) for s, dim, _ in cases]
finally:
    for (mod, name), original in saved.items():
        setattr(mod, name, original)
for (s, dim, expected), got in zip(cases, results):
    assert got.shape == s.shape
    assert not torch.isnan(got).any(), "no nan allowed"
    torch.testing.assert_close(got, expected)
### END HIDDEN TESTS

# %% [markdown]
# ### Masks: who may look at whom
#
# Sometimes a query must not see some keys: padding added to make sentences the same length, or, in
# a model that generates text, the words that come *after* the current one. A **mask** is a boolean
# tensor that broadcasts to the scores' shape $(\dots, L_q, L_k)$ and is `True` where query $i$
# **may attend** to key $j$ (the convention of `torch.nn.functional.scaled_dot_product_attention`
# and of `utils`). Before the softmax, every forbidden score is set to $-\infty$, so its weight is 0.
#
# ### Exercise 3 — scaled dot-product attention [3 points]
# Implement `scaled_dot_product_attention(query, key, value, mask=None)`:
# `query (..., Lq, d_k)`, `key (..., Lk, d_k)`, `value (..., Lk, d_v)`, `mask` bool broadcastable to
# `(..., Lq, Lk)` or `None`. Return `(output, weights)`: `output (..., Lq, d_v)` and
# `weights (..., Lq, Lk)`. You may use your two functions above (or `torch.softmax` if one of them is
# not working yet); `tensor.masked_fill(condition, value)` replaces entries where `condition` is True.
# The tests only use masks that leave every query at least one key.

# %% nbgrader={"grade": false, "grade_id": "scaled_dot_product_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def scaled_dot_product_attention(query, key, value, mask=None):
    """softmax(Q K^T / sqrt(d_k)) V with a boolean mask (True = may attend) -> (output, weights)."""
    ### BEGIN SOLUTION
    d_k = query.size(-1)
    scores = dot_product_scores(query, key) / math.sqrt(d_k)  # (..., Lq, Lk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = stable_softmax(scores, dim=-1)
    return weights @ value, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_scaled_dot_product_attention", globals())  # first the checks grading runs (public inputs): they name typical mistakes
q, k, v = torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 3)
causal = utils.causal_mask(5)   # (5, 5), True on and below the diagonal
out, w = scaled_dot_product_attention(q, k, v, mask=causal)
assert out.shape == (2, 5, 3) and w.shape == (2, 5, 5), f"got {tuple(out.shape)} and {tuple(w.shape)}"
ref_out, ref_w = utils.scaled_dot_product_attention(q, k, v, mask=causal)
torch.testing.assert_close(w, ref_w)
torch.testing.assert_close(out, ref_out)
torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=causal))
assert (w[:, 0, 1:] == 0).all(), "the first query may only see the first key"
print("matches utils.scaled_dot_product_attention and F.scaled_dot_product_attention")
### BEGIN HIDDEN TESTS
for batch, lq, lk, d_k, d_v in [((), 1, 1, 1, 1), ((3,), 4, 9, 16, 5), ((2, 4), 7, 7, 32, 32), ((1,), 12, 3, 64, 2)]:
    q, k, v = torch.randn(*batch, lq, d_k), 3 * torch.randn(*batch, lk, d_k), torch.randn(*batch, lk, d_v)
    # no mask: compare with PyTorch's fused kernel and with utils
    out, w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(w, utils.scaled_dot_product_attention(q, k, v)[1])
    # a random mask that leaves every query at least one key
    mask = torch.rand(*batch, lq, lk) < 0.5
    mask[..., 0] = True
    out, w = scaled_dot_product_attention(q, k, v, mask=mask)
    ref_out, ref_w = utils.scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(w, ref_w)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
# a padding mask (B, 1, Lk) that broadcasts over the queries
q, k, v = torch.randn(3, 6, 8), torch.randn(3, 6, 8), torch.randn(3, 6, 4)
pad = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]], dtype=torch.bool)[:, None, :]
out, w = scaled_dot_product_attention(q, k, v, mask=pad)
torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=pad))
assert (w[2, :, 2:] == 0).all()
### END HIDDEN TESTS

# %% [markdown]
# Here is what the two common masks do to the weights. On the left a **causal** mask: query $i$ sees
# keys $0..i$ only, so the weights form a lower triangle. On the right a **padding** mask for a
# sentence of 4 real tokens padded to 6: no query looks at the padding. From here on the lesson uses
# the tested `utils.scaled_dot_product_attention`, which computes exactly what you just wrote.

# %%
x = torch.randn(1, 6, 16)
_, causal_weights = utils.scaled_dot_product_attention(x, x, x, mask=utils.causal_mask(6))
real = torch.tensor([[5, 8, 2, 9, 0, 0]])   # token ids; 0 is padding
_, padded_weights = utils.scaled_dot_product_attention(x, x, x, mask=utils.padding_mask(real, pad_id=0)[:, 0])

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
plot_attention(causal_weights[0], ax=axes[0], title="causal mask")
plot_attention(padded_weights[0], ax=axes[1], title="padding mask (last 2 are padding)")
plt.tight_layout()
plt.show()
print("causal: weight above the diagonal =", causal_weights[0].triu(1).sum().item())
print("padding: weight on the padding    =", padded_weights[0, :, 4:].sum().item())


# %% [markdown]
# ## 4. Why divide by $\sqrt{d_k}$?
#
# Suppose the entries of a query and a key are independent, with mean 0 and variance 1. Their dot
# product $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$ terms, each of variance 1, so it
# has variance $d_k$ and standard deviation $\sqrt{d_k}$. Longer vectors give larger scores, and
# section 1 showed what large scores do to a softmax: it **saturates**, putting almost all the weight
# on one key. A saturated softmax also learns badly: its gradient, $\text{diag}(w) - w w^\top$,
# tends to zero as $w$ becomes one-hot, so the training signal through it dies. Dividing the scores by
# $\sqrt{d_k}$ brings their standard deviation back to 1, whatever $d_k$ is.
#
# To measure saturation we need a number for "how spread out" a row of weights is. The **entropy**
# $H(w) = -\sum_j w_j \log w_j$ is 0 for a one-hot row and $\log L_k$ for a uniform one (with the
# convention $0 \log 0 = 0$).
#
# ### Exercise 4 — the entropy of attention weights [2 points]
# Implement `attention_entropy(weights)`: `weights (..., Lk)` whose last dimension holds probability
# rows; return `(...)`, the entropy of each row in nats (natural logarithm). Zeros, which masks
# produce, must contribute 0, not `nan`.

# %% nbgrader={"grade": false, "grade_id": "attention_entropy", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_entropy(weights):
    """weights (..., Lk), rows summing to 1 -> entropy of each row (...), in nats, with 0 log 0 = 0."""
    ### BEGIN SOLUTION
    logs = torch.log(weights.clamp(min=torch.finfo(weights.dtype).tiny))  # finite where weights are 0
    return -(weights * logs).sum(dim=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_attention_entropy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_attention_entropy", globals())  # first the checks grading runs (public inputs): they name typical mistakes
rows = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25], [0.5, 0.5, 0.0, 0.0]])
h = attention_entropy(rows)
assert h.shape == (3,), f"one entropy per row: expected (3,), got {tuple(h.shape)}"
torch.testing.assert_close(h, torch.tensor([0.0, math.log(4), math.log(2)]))
print("entropies:", [round(x + 0.0, 3) for x in h.tolist()], "(one-hot, uniform over 4, uniform over 2)")
### BEGIN HIDDEN TESTS
for shape in [(6,), (5, 11), (2, 3, 4, 7)]:
    w = torch.softmax(3 * torch.randn(shape), dim=-1)
    w = w * (torch.rand(shape) < 0.7)   # knock out some entries, as a mask would
    w[..., 0] += 1e-3
    w = w / w.sum(dim=-1, keepdim=True)
    got = attention_entropy(w)
    assert got.shape == shape[:-1], (got.shape, shape)
    assert not torch.isnan(got).any()
    torch.testing.assert_close(got, torch.distributions.Categorical(probs=w).entropy())
### END HIDDEN TESTS

# %% [markdown]
# `torch.distributions.Categorical(probs=w).entropy()` computes the same thing, and the experiment
# below uses it. For each size $d_k$ we draw 256 random queries and 16 random keys, score them with
# and without the $\frac{1}{\sqrt{d_k}}$ factor, and measure four things per row: the spread of the
# scores, the largest weight, the entropy, and the size (Frobenius norm) of the softmax's gradient
# $\text{diag}(w) - w w^\top$.

# %%
D_KS = [2, 8, 32, 128, 512, 2048]
NUM_KEYS = 16


def saturation(d_k, scaled, generator):
    q = torch.randn(256, d_k, generator=generator)
    k = torch.randn(NUM_KEYS, d_k, generator=generator)
    scores = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)  # (256, 16)
    w = torch.softmax(scores, dim=-1)
    jacobian = torch.diag_embed(w) - w[:, :, None] * w[:, None, :]  # (256, 16, 16): d w / d scores
    return {
        "score std": scores.std().item(),
        "largest weight": w.max(dim=-1).values.mean().item(),
        "entropy (nats)": torch.distributions.Categorical(probs=w).entropy().mean().item(),
        "softmax gradient size": jacobian.flatten(1).norm(dim=-1).mean().item(),
    }


measured = {scaled: [saturation(d, scaled, torch.Generator().manual_seed(d)) for d in D_KS] for scaled in (False, True)}

fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
for ax, metric in zip(axes, measured[False][0]):
    for scaled, label in [(False, "q·k"), (True, "q·k / √d_k")]:
        ax.plot(D_KS, [m[metric] for m in measured[scaled]], marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("d_k")
    ax.set_title(metric)
axes[0].set_yscale("log")
axes[2].axhline(math.log(NUM_KEYS), color="grey", linestyle="--", label="uniform (log 16)")
axes[0].legend()
axes[2].legend(fontsize=8)
plt.tight_layout()
plt.show()
for d, raw, scaled in zip(D_KS, measured[False], measured[True]):
    print(f"d_k = {d:4d}: largest weight {raw['largest weight']:.2f} unscaled, {scaled['largest weight']:.2f} scaled")

# %% [markdown]
# Without scaling, the spread of the scores grows like $\sqrt{d_k}$, the largest weight climbs
# towards 1, the entropy falls towards 0, and the gradient shrinks: each query stares at a single key
# and barely learns. With scaling all four stay where they were for small vectors, whatever $d_k$ is.
# Real models use $d_k = 64$ per head (the original Transformer, BERT-base) or $d_k = 32$ (MiniLM,
# 384 dimensions over 12 heads, as lesson 03 prints), where the unscaled softmax would already be
# mostly saturated.
#
# ## 5. Self-attention inside a real model
#
# In **self-attention** the queries, keys and values all come from the same sentence. Each token's
# vector $x_i$ is mapped three times by learned matrices, $q_i = x_i W_Q$, $k_i = x_i W_K$,
# $v_i = x_i W_V$, and every token's query is scored against every token's key. So each word can look
# directly at every other word, however far apart they are.
#
# all-MiniLM-L6-v2 runs 12 such attention computations, called **heads**, side by side in each of its
# 6 layers (lesson 03 is about why). `model.attention_maps(sentence)` runs the model on one sentence
# and returns its tokens and all the weights, shape `(layers, heads, L, L)`; row $i$ of a map says
# where token $i$ looks. The tokenizer lower-cases words, may split rare ones into pieces, and adds
# two special tokens: `[CLS]` at the start and `[SEP]` at the end.

# %%
CAT = "The cat sat on the mat because it was tired"
tokens, attn = model.attention_maps(CAT)
print(tokens)
print("attention maps:", tuple(attn.shape), "= (layers, heads, queries, keys)")
print(f"largest |row sum - 1|: {(attn.sum(dim=-1) - 1).abs().max().item():.6f} (tolerance 1e-5)")

# %% [markdown]
# ### Where does "it" look?
#
# `attn[layer, head, i, j]` is how much token $i$ attends to token $j$. Fixing $i$ = "it" and
# $j$ = "cat" gives one number per head, a $(6, 12)$ table. We put it next to the same table for
# "mat", the wrong answer, and rank the heads by how much weight "it" gives to "cat".

# %%
it, cat, mat = tokens.index("it"), tokens.index("cat"), tokens.index("mat")
it_to_cat = attn[:, :, it, cat]   # (6, 12): one weight per head
it_to_mat = attn[:, :, it, mat]
num_layers, num_heads = it_to_cat.shape

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, table, word in zip(axes, (it_to_cat, it_to_mat), ("cat", "mat")):
    image = ax.imshow(table, cmap="viridis", vmin=0, vmax=it_to_cat.max())
    ax.set_title(f'weight from "it" to "{word}"')
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(num_heads))
fig.colorbar(image, ax=axes)
plt.show()

ranking = it_to_cat.flatten().argsort(descending=True)
top_heads = [divmod(r.item(), num_heads) for r in ranking[:5]]   # (layer, head) pairs
print('heads ranked by the weight "it" gives to "cat":')
for layer, head in top_heads:
    print(f"   layer {layer} head {head:2d}:  cat {it_to_cat[layer, head]:.2f}   mat {it_to_mat[layer, head]:.2f}")
print(f'"it" gives more weight to "cat" than to "mat" in {(it_to_cat > it_to_mat).sum().item()} of {it_to_cat.numel()} heads')

# %% [markdown]
# A handful of heads, mostly in the last layers, send a large share of "it"'s attention to "cat" and
# little to "mat". Nobody told this model about pronouns: it was trained only to give similar
# sentences similar vectors, and linking a pronoun to the noun it stands for helped with that. Most
# other heads do something else; many park most of their weight on `[CLS]`, a habit lesson 03 measures.
# Here are the full maps of the two best heads:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for ax, (layer, head) in zip(axes, top_heads[:2]):
    plot_attention(attn[layer, head], queries=tokens, keys=tokens, ax=ax, title=f"layer {layer}, head {head}")
    ax.add_patch(plt.Rectangle((cat - 0.5, it - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
plt.tight_layout()
plt.show()

# %% [markdown]
# The red square marks the row of "it" and the column of "cat". Look at the whole maps, though. In the
# top-ranked head nearly *every* word looks at "cat": that head finds the subject of the sentence for
# everyone, and "it" is simply one more word asking. In the second head most words park their
# attention on `[CLS]`, and "it" is one of the few that looks at "cat".
#
# A high weight is not proof that a head resolves the pronoun. A scientist's test is a **minimal
# pair**: change one word so that "it" means the mat ("because it was *soft*") and see which heads
# change their mind. A head that tracks the meaning of "it" should move weight from "cat" to "mat";
# a head that just looks at the subject should not care.

# %%
SOFT = "The cat sat on the mat because it was soft"
soft_tokens, soft_attn = model.attention_maps(SOFT)
assert soft_tokens.index("it") == it and soft_tokens.index("cat") == cat   # same positions as before

fig, ax = plt.subplots(figsize=(9, 3.4))
names = [f"L{layer} H{head}" for layer, head in top_heads]
for offset, (maps, label) in enumerate([(attn, "tired"), (soft_attn, "soft")]):
    for word, index, hatch in [("cat", cat, ""), ("mat", mat, "//")]:
        heights = [maps[layer, head, it, index].item() for layer, head in top_heads]
        shift = -0.3 + 0.2 * (2 * offset + (word == "mat"))
        ax.bar([i + shift for i in range(len(top_heads))], heights, 0.2, hatch=hatch,
               color="tab:orange" if label == "tired" else "tab:purple", edgecolor="black",
               label=f'"...it was {label}": it -> {word}')
ax.set_xticks(range(len(top_heads)), names)
ax.set_ylabel('weight from "it"')
ax.legend(fontsize=8)
plt.show()
for layer, head in top_heads[:2]:
    print(f"layer {layer} head {head:2d}:  tired: cat {attn[layer, head, it, cat]:.2f} mat {attn[layer, head, it, mat]:.2f}"
          f"   |   soft: cat {soft_attn[layer, head, it, cat]:.2f} mat {soft_attn[layer, head, it, mat]:.2f}")

# %% [markdown]
# The subject head (layer 5, head 11) keeps looking at "cat" whatever the sentence says, while layer 3,
# head 1 drops its "cat" weight and now favours "mat", slightly: it reacts to what "it" means here.
# One small model, one sentence pair: a hint, not a proof. And a word of caution for all such maps: an
# attention weight says where a head *looked*, not why the model decided anything; the values mixed
# in, the later layers and the other heads all matter too. Attention maps are a window, not an
# explanation.
#
# ### How does "bank" know it is a financial bank?
#
# *"The bank can guarantee deposits will cover future housing loans."* "Bank" could be a river bank;
# "deposits" and "loans" say otherwise. First, where does "bank" look? Averaging over the 12 heads of
# each layer gives one row per layer.

# %%
BANK = "The bank can guarantee deposits will cover future housing loans"
bank_tokens, bank_attn = model.attention_maps(BANK)
bank = bank_tokens.index("bank")
per_layer = bank_attn[:, :, bank, :].mean(dim=1)   # (6 layers, L): bank's row, averaged over heads

fig, ax = plt.subplots(figsize=(9, 3.4))
plot_attention(per_layer, queries=[f"layer {i}" for i in range(num_layers)], keys=bank_tokens, ax=ax,
               title='where "bank" looks, averaged over the heads of each layer')
ax.set_ylabel("")
plt.show()

clues = [bank_tokens.index("deposits"), bank_tokens.index("loans")]
to_clues = bank_attn[:, :, bank, clues].sum(dim=-1)   # (6, 12): weight on "deposits" + "loans"
best = to_clues.flatten().argsort(descending=True)[:3]
for r in best:
    layer, head = divmod(r.item(), num_heads)
    print(f'layer {layer} head {head:2d}: "bank" gives {to_clues[layer, head]:.2f} of its attention to "deposits" + "loans"')

# %% [markdown]
# Averaged over heads, much of the attention goes to `[CLS]`, but a few heads spend a large share of
# "bank"'s attention on "deposits" and "loans". What does that do to the vector of "bank"? Each layer
# adds the mix of values it attended to, so the vector of "bank" should drift towards its meaning in
# this context. We can measure it: follow the vector of "bank", layer by layer, in four sentences,
# two about money and two about rivers, and compare it with the vector of "bank" in our sentence.
#
# The loop below is the whole model: the embedding layer, then the 6 encoder layers one after the
# other (a single sentence has no padding, so no mask is needed).

# %%
OTHERS = [
    ("money", "She opened a savings account at the bank to keep her money safe"),
    ("river", "We had a picnic on the bank of the river and watched the water flow"),
    ("river", "The fishermen pulled their boat up onto the muddy bank of the stream"),
]


@torch.no_grad()
def bank_vectors(sentence):
    """The vector of "bank" after the embeddings and after each layer -> (num_layers + 1, 384)."""
    batch = model.tokenize(sentence)
    ids = batch["input_ids"][0].tolist()
    position = [tokenizer.id_to_token(i) for i in ids].index("bank")
    x = model.embeddings(batch["input_ids"])   # (1, L, 384)
    states = [x[0, position]]
    for layer in model.layers:
        x = layer(x)
        states.append(x[0, position])
    return torch.stack(states).cpu()


ours = bank_vectors(BANK)
fig, ax = plt.subplots(figsize=(7, 3.4))
for name, sentence in OTHERS:
    similarity = F.cosine_similarity(ours, bank_vectors(sentence), dim=-1)   # (7,): one per depth
    ax.plot(range(num_layers + 1), similarity, marker="o", label=f'"bank" in: {sentence[:38]}...',
            color="tab:green" if name == "money" else "tab:blue")
    print(f"{name} sentence: similarity {similarity[0]:.2f} after the embeddings, {similarity[-1]:.2f} after layer 6")
ax.set_xlabel("depth (0 = embeddings, then after each layer)")
ax.set_ylabel('cosine similarity to our "bank"')
ax.legend(fontsize=7)
plt.show()


# %% [markdown]
# After the embedding layer the four "bank" vectors are almost the same: the same word, only at
# different positions. Layer after layer, attention mixes in each sentence's context, and by the top
# our "bank" is clearly closer to the savings-account bank than to the river banks. The meaning was
# not stored in the word; it was read from the neighbours.
#
# ## 6. Explore the attention maps yourself
#
# Pick a layer, a head and a word; type any sentence. Left: the whole map, with the chosen word's row
# framed. Right: that row as bars, the weights the word gives to every token. Try layer 0, head 2 or
# layer 1, head 8, or the heads ranked above.

# %%
@lru_cache(maxsize=32)
def maps_of(sentence):
    return model.attention_maps(sentence)


def draw_explorer(axes, sentence, layer, head, word):
    left, right = axes[0]
    words, maps = maps_of(sentence)
    weights = maps[layer, head]
    plot_attention(weights, queries=words, keys=words, ax=left, title=f"layer {layer}, head {head}")
    if word.lower() not in words:
        right.text(0.5, 0.5, f'"{word}" is not a token of this sentence', ha="center", va="center")
        right.axis("off")
        return
    i = words.index(word.lower())
    left.add_patch(plt.Rectangle((-0.5, i - 0.5), len(words), 1, fill=False, edgecolor="red", linewidth=2))
    right.bar(range(len(words)), weights[i], color="tab:red")
    right.set_xticks(range(len(words)), words, rotation=90)
    right.set_ylim(0, 1)
    right.set_title(f'where "{words[i]}" looks')


interactive_figure(
    draw_explorer, axes=(1, 2), figsize=(12, 4.6),
    sentence=Text(value=CAT, description="sentence", continuous_update=False),
    layer=IntSlider(value=top_heads[0][0], min=0, max=num_layers - 1, description="layer"),
    head=IntSlider(value=top_heads[0][1], min=0, max=num_heads - 1, description="head"),
    word=Text(value="it", description="word", continuous_update=False),
)


# %% [markdown]
# ## 7. Where attention came from: translating through one vector
#
# Before Transformers, a translator was two recurrent networks (lesson 01): an **encoder** reads the
# French sentence word by word, and a **decoder** writes the English one. In the first such models
# (Sutskever et al. and Cho et al., 2014), all the decoder learns about the sentence is the encoder's
# final state: one vector, here of 128 numbers, whether the sentence has 5 words or 40. That vector is
# a **bottleneck**.
#
# Bahdanau, Cho and Bengio (2014) removed it. At each step $t$ the decoder, in state $s_{t-1}$, scores
# every encoder state $h_j$ with a small network, turns the scores into weights with a softmax, and
# reads their weighted mix, the **context** $c_t$:
#
# $$e_{tj} = v^\top \tanh(W s_{t-1} + U h_j), \qquad a_t = \mathrm{softmax}_j(e_t), \qquad c_t = \sum_j a_{tj}\, h_j .$$
#
# This is the attention of this lesson with another score: a one-layer network (**additive**
# attention) instead of a dot product. The decoder's state is the query; the encoder's states are the
# keys and the values. In 2017 the Transformer kept the attention, took the cheaper scaled dot product,
# and dropped the recurrence.
#
# ### Exercise 5 — additive attention [2 points]
# Implement `additive_attention(state, memory, W, U, v, mask=None)`: `state (B, Hs)` the decoder's
# states, `memory (B, S, Hm)` the encoder's states, `W (A, Hs)`, `U (A, Hm)`, `v (A,)`, and `mask (B, S)`
# boolean, True on real words (`None`: every position is a word). `B` is the batch size, `S` the length
# of the source sentence, `Hs` and `Hm` the sizes of the decoder's and the encoder's states, and `A` the
# size of the small scoring network's hidden layer. Return `(context, weights)` with
# `context (B, Hm)` and `weights (B, S)`. Broadcasting does the work: `(state @ W.T)[:, None, :]` has
# shape `(B, 1, A)` and `memory @ U.T` has shape `(B, S, A)`.

# %% nbgrader={"grade": false, "grade_id": "additive_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def additive_attention(state, memory, W, U, v, mask=None):
    """Bahdanau attention: weights = softmax_j(v . tanh(W s + U h_j)) -> (context (B, Hm), weights (B, S))."""
    ### BEGIN SOLUTION
    scores = torch.tanh((state @ W.T)[:, None, :] + memory @ U.T) @ v  # (B, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, S): over the source words
    context = (weights[:, :, None] * memory).sum(dim=1)  # (B, Hm)
    return context, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_additive_attention", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_additive_attention", globals())  # first the checks grading runs (public inputs): they name typical mistakes
torch.manual_seed(0)
state, memory = torch.randn(2, 6), torch.randn(2, 4, 5)
W, U, v = torch.randn(3, 6), torch.randn(3, 5), torch.randn(3)
mask = torch.tensor([[True, True, True, True], [True, True, False, False]])  # sentence 2 has 2 words
context, weights = additive_attention(state, memory, W, U, v, mask=mask)
assert context.shape == (2, 5) and weights.shape == (2, 4), f"context should be (2, 5) and weights (2, 4), got {tuple(context.shape)} and {tuple(weights.shape)}"
assert (weights[1, 2:] == 0).all(), "the padded positions of sentence 2 must get weight 0"
ref_context, ref_weights = utils.additive_attention(state, memory, W, U, v, mask=mask)
torch.testing.assert_close(weights, ref_weights)
torch.testing.assert_close(context, ref_context)
print(f"largest difference from utils.additive_attention: {(context - ref_context).abs().max().item():.1e} (tolerance 1e-5)")
### BEGIN HIDDEN TESTS
for batch, src_len, hs, hm, a in [(1, 1, 1, 1, 1), (3, 7, 8, 4, 5), (5, 9, 16, 16, 8)]:
    state, memory = torch.randn(batch, hs), torch.randn(batch, src_len, hm)
    W, U, v = torch.randn(a, hs), torch.randn(a, hm), 2 * torch.randn(a)
    lengths = torch.randint(1, src_len + 1, (batch,))
    for mask in (None, torch.arange(src_len)[None, :] < lengths[:, None]):
        got_context, got_weights = additive_attention(state, memory, W, U, v, mask=mask)
        ref_context, ref_weights = utils.additive_attention(state, memory, W, U, v, mask=mask)
        torch.testing.assert_close(got_weights, ref_weights)
        torch.testing.assert_close(got_context, ref_context)
### END HIDDEN TESTS

# %% [markdown]
# Now the experiment. `utils.load_rnn_seq2seq()` loads two GRU translators that ship with the
# course (trained by `python -m tools.train_seq2seq`): the same encoder, decoder, data, seed and 1,500
# training steps, except that one reads the sentence through the single vector and the other through
# `utils.AdditiveAttention`, which computes exactly your function. Both learned from sentences of one
# to three clauses joined by "et" ("le chat mange une pomme et les chiens voient un cheval"). Each is
# tested on 100 new sentences of each length, and on four clauses: longer than any training sentence.

# %%
rnn_models, fr_vocab, en_vocab, _ = utils.load_rnn_seq2seq()
clause_tests = utils.clause_test_sets()  # {clauses: 100 (french, english) pairs}
exact = {name: utils.exact_match_by_clauses(m, clause_tests, fr_vocab, en_vocab) for name, m in rnn_models.items()}

fig, ax = plt.subplots(figsize=(6.5, 3.2))
clauses = list(clause_tests)
for offset, (name, by_length) in zip((-0.2, 0.2), exact.items()):
    ax.bar([k + offset for k in clauses], [by_length[k] for k in clauses], width=0.4,
           label={"attention": "additive attention", "bottleneck": "one vector (bottleneck)"}[name])
ax.axvline(3.5, color="gray", linestyle="--")
ax.text(3.55, 0.9, "longer than\nany training\nsentence", fontsize=8)
words = {k: sum(len(fr.split()) for fr, _ in pairs) / len(pairs) for k, pairs in clause_tests.items()}
ax.set_xticks(clauses, [f"{k} clause{'s' if k > 1 else ''}\n{words[k]:.0f} words" for k in clauses])
ax.set_ylabel("exact match")
ax.set_ylim(0, 1.05)
ax.legend(title="what the decoder reads", loc="center right", fontsize=8)
plt.tight_layout()
plt.show()
for name, by_length in exact.items():
    print(f"{name:>10}: " + "   ".join(f"{k} clause{'s' if k > 1 else ''} {by_length[k]:.2f}" for k in clauses))
print(f"attention, worst of 1-3 clauses: {min(exact['attention'][k] for k in (1, 2, 3)):.2f} (expected >= 0.95); "
      f"single vector at 3 clauses: {exact['bottleneck'][3]:.2f} (expected <= 0.10)")

# %% [markdown]
# The bottleneck model translates short sentences, but its accuracy collapses as soon as a
# sentence has more to remember than one vector holds; with attention the length hardly matters up to
# the longest sentences it trained on. (Neither model handles four clauses: a recurrent decoder also
# has to learn *when* to stop, and it never saw a sentence that long.) Where does the attention model
# look while it writes? Each row below is one English word it wrote; each column a French word.

# %%
french, english = clause_tests[2][0]
attention_model = rnn_models["attention"]
src = torch.tensor([fr_vocab.encode(french)])
written = attention_model.greedy_decode(src, en_vocab.bos_id, en_vocab.eos_id, max_len=40)  # (1, T + 1)
_, rnn_weights = attention_model.decode(written[:, :-1], *attention_model.encode(src), return_weights=True)
out_words = [en_vocab.itos[i] for i in written[0, 1:].tolist()]

fig, ax = plt.subplots(figsize=(7, 6))
plot_attention(rnn_weights[0], queries=out_words, keys=french.split(), ax=ax,
               title="additive attention while translating")
plt.tight_layout()
plt.show()
print("French:   ", french)
print("reference:", english)
print("written:  ", en_vocab.decode(written[0]))

# %% [markdown]
# The weights run down the diagonal, one French word at a time, and they cross where the two
# languages order words differently: to write "the empty cats" the model reads "vides" before "chats".
# Nobody told it which words correspond; attention learned the alignment because translating needed
# it. Bahdanau et al. drew the same picture in 2014, and the rest of this course starts from it: lesson
# 04 finds these alignments again in a Transformer's cross-attention.

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
    subprocess.run([sys.executable, "-m", "tools.check", str(here / "02_attention.ipynb")], cwd=check.parents[1])

# %% [markdown]
# ## Summary
#
# - Attention is a soft search: a query is scored against every key with a dot product, a softmax
#   turns the scores into weights, and the output is the weighted mix of the values. With a
#   pretrained encoder's sentence vectors that search works by meaning, not by shared words.
# - You implemented it: `dot_product_scores`, a softmax that subtracts the maximum so that it never
#   overflows, and `scaled_dot_product_attention` with a mask that is True where a query may look,
#   matching `utils` and `F.scaled_dot_product_attention`.
# - Dividing the scores by $\sqrt{d_k}$ keeps their spread at 1. You measured what happens without it:
#   the softmax saturates (one key takes all the weight, the entropy collapses) and its gradient fades.
# - In self-attention the queries, keys and values all come from the same sentence. Inside
#   all-MiniLM-L6-v2, a few heads link "it" to "cat", and attention to "deposits" and "loans" pulls the
#   vector of "bank" towards its financial meaning, layer by layer.
# - Attention began as the fix for the 2014 bottleneck: an RNN translator that reads the sentence
#   through one vector fails as sentences grow; with Bahdanau's additive attention, which you
#   implemented, it reads every word again at each step and learns the word alignment on its own.
#
# **Next: Lesson 03 — Multi-head attention.** The model ran 12 attention heads per layer. You will see
# what the different heads specialise in, then build multi-head attention yourself and check it
# against `torch.nn.MultiheadAttention`, and measure what it costs.
