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
# # Lesson 05 — Types of Transformer models
#
# The 2017 Transformer has two halves: an **encoder** that reads the input and a **decoder** that
# writes the output. Soon after, researchers found that each half is useful on its own, and three
# families grew out of the one architecture:
#
# - **encoder-only** models (BERT, RoBERTa, DistilBERT, ALBERT) *understand* text;
# - **decoder-only** models (GPT, GPT-2, GPT-3, GPT-4, LLaMA) *generate* text;
# - **encoder–decoder** models (T5, BART, MarianMT) *transform* one text into another.
#
# They are built from the same layers you already have in `utils`. What sets them apart is
# **which tokens each position may attend to** (the mask) and **what the model is trained to
# predict**. In this lesson you train one of each on your own CPU and compare them.
#
# **You will**
# 1. cut a text into next-token training pairs and train a small GPT (decoder-only) on Python's own
#    documentation, then check that it beats a baseline that ignores context;
# 2. build the causal and the bidirectional attention masks;
# 3. write one step of a KV cache and measure how much faster it makes generation;
# 4. implement temperature and top-k sampling, and play with them on your GPT;
# 5. implement BERT's 80/10/10 masking rule, train a small masked language model (encoder-only) and
#    let it fill in blanks; then use a real pretrained encoder, MiniLM, through a linear probe;
# 6. rerun lesson 04's translator (encoder–decoder) and put the three kinds side by side.
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
import textwrap
import time

import matplotlib.pyplot as plt
import torch.nn.functional as F
from ipywidgets import FloatSlider, IntSlider
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from utils import GPT, KVCache, MaskedLM, next_token_probs
from utils import plot_losses, interactive_figure
from utils import (IGNORE_INDEX, blocks_at, evaluate_lm, lm_batches, lm_loss, load_text_corpus, mask_tokens,
                   mlm_batches, mlm_loss, unigram_cross_entropy)

# %% [markdown]
# ## 1. A corpus that is already on your computer
#
# To train a language model we need text. Every Python installation carries some: the help pages
# that `help("if")` or `help("with")` print, about 465 KB of English prose in the standard module
# `pydoc_data.topics`. Nothing to download.
#
# `utils.load_text_corpus` keeps the last 10% of that text (cut at a paragraph break) for
# **validation**, so we can check that a model learned English about Python and did not just memorise
# its training pages. It then trains a byte-level **BPE** tokenizer (the scheme of GPT-2) on the
# training part. BPE starts from single bytes and repeatedly merges the most frequent neighbouring pair
# into a new token, until it has 2048 tokens: frequent words end up as one token, rare words as a few
# pieces. Training takes well under a second, and the result is cached on disk.

# %%
corpus = load_text_corpus("bpe", vocab_size=2048)
tokenizer = corpus.tokenizer
V = tokenizer.vocab_size
print("vocabulary:", V, "tokens, of which special:", [tokenizer.id_to_token(i) for i in tokenizer.special_ids])
print(f"one token holds {len(corpus.train_text) / len(corpus.train_ids):.1f} characters on average")
sentence = 'The "with" statement is used to wrap the execution of a block.'
print(tokenizer.tokens(sentence))


# %% [markdown]
# Common words such as `statement` or `execution` are single tokens, with the space in front of them
# included. The `<mask>` token is not used by GPT; it is for the encoder-only model of section 5.
#
# ## 2. Decoder-only: predict the next token
#
# A decoder-only model reads text left to right and, **at every position**, guesses the token that
# comes next. That makes training efficient: one block of $T + 1$ consecutive tokens holds $T$
# training examples at once. The input is tokens $0 \dots T-1$ and the target is tokens
# $1 \dots T$, the same text shifted by one:
#
#     text    :  The   "with"  statement  is   used
#     input x :  The   "with"  statement  is
#     target y:  "with" statement  is     used
#
# ### Exercise 1 — next-token pairs [2 points]
# Implement `next_token_blocks(data, starts, block_size)`. `data` is a 1-D `torch.long` tensor of
# token ids, `starts` a 1-D tensor of `B` offsets. Return `x` and `y`, both `(B, block_size)` and
# `torch.long`: row `b` of `x` is `data[s : s + block_size]` and row `b` of `y` is
# `data[s + 1 : s + block_size + 1]`, where `s = starts[b]`.

# %% nbgrader={"grade": false, "grade_id": "next_token_blocks", "locked": false, "schema_version": 3, "solution": true, "task": false}
def next_token_blocks(data, starts, block_size):
    """data (N,), starts (B,) -> inputs x (B, block_size) and next-token targets y (B, block_size)."""
    ### BEGIN SOLUTION
    x = torch.stack([data[s: s + block_size] for s in starts.tolist()])
    y = torch.stack([data[s + 1: s + block_size + 1] for s in starts.tolist()])
    return x, y
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_next_token_blocks", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_next_token_blocks", globals())  # first the checks grading runs (public inputs): they name typical mistakes
data = torch.arange(100, 120)
x, y = next_token_blocks(data, torch.tensor([0, 5]), 4)
assert x.shape == (2, 4) and y.shape == (2, 4), f"expected two (2, 4) tensors, got {tuple(x.shape)}, {tuple(y.shape)}"
assert x.tolist() == [[100, 101, 102, 103], [105, 106, 107, 108]], f"wrong inputs: {x.tolist()}"
assert y.tolist() == [[101, 102, 103, 104], [106, 107, 108, 109]], f"wrong targets: {y.tolist()}"
print("next_token_blocks gives inputs and targets shifted by one")
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(11)
for n, block_size, batch in [(50, 1, 3), (300, 17, 20), (1000, 64, 8)]:
    data = torch.randint(0, 5000, (n,), generator=g)
    starts = torch.randint(0, n - block_size, (batch,), generator=g)
    starts[0] = n - block_size - 1  # the last block that still has a target for every input
    x, y = next_token_blocks(data, starts, block_size)
    ref_x, ref_y = blocks_at(data, starts, block_size)
    assert x.dtype == torch.long and y.dtype == torch.long
    assert torch.equal(x, ref_x) and torch.equal(y, ref_y)
### END HIDDEN TESTS

# %% [markdown]
# Here is one real training block, cut with the tested `utils.blocks_at` (the same rule): each
# input token, and the target the model must predict from it and everything before it.

# %%
x, y = blocks_at(corpus.train_ids, torch.tensor([1000]), 8)
for t in range(8):
    context = tokenizer.decode(x[0, :t + 1])
    print(f"{context!r:>45} -> {tokenizer.decode(y[0, t:t + 1])!r}")


# %% [markdown]
# ### Exercise 2 — causal or bidirectional [2 points]
# Predicting token $t+1$ must not be helped by seeing it. So in a decoder-only model, position $i$
# may attend only to positions $j \le i$: the **causal** mask. An encoder-only model fills in a blank
# in the middle of a text, so every position may read every other one: the **bidirectional** mask.
# Both must still hide padding.
#
# Implement `self_attention_mask(valid, causal)`. `valid` is a `(B, L)` bool tensor, True for real
# tokens and False for padding. Return a `(B, 1, L, L)` bool tensor (the `1` broadcasts over the
# heads) where entry `[b, 0, i, j]` is True when query `i` may attend to key `j`: key `j` is a real
# token and, if `causal`, `j <= i`. (The convention of `utils` and PyTorch: True = may attend.)

# %% nbgrader={"grade": false, "grade_id": "self_attention_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def self_attention_mask(valid, causal):
    """valid (B, L) bool -> (B, 1, L, L) bool, True where query i may attend to key j."""
    ### BEGIN SOLUTION
    B, L = valid.shape
    mask = valid[:, None, None, :].expand(B, 1, L, L)  # every query sees every real key
    if causal:
        mask = mask & torch.ones(L, L, dtype=torch.bool, device=valid.device).tril()
    return mask
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_self_attention_mask", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_self_attention_mask", globals())  # first the checks grading runs (public inputs): they name typical mistakes
valid = torch.tensor([[True, True, True]])
causal, both_ways = self_attention_mask(valid, True), self_attention_mask(valid, False)
assert causal.shape == (1, 1, 3, 3) and causal.dtype == torch.bool, f"got {tuple(causal.shape)}, {causal.dtype}"
assert causal[0, 0].tolist() == [[True, False, False], [True, True, False], [True, True, True]], causal[0, 0]
assert both_ways[0, 0].all(), "without padding, a bidirectional mask lets everyone see everyone"
print("causal:\n", causal[0, 0].int())
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(5)
for B, L in [(1, 1), (4, 7), (3, 16)]:
    lengths = torch.randint(1, L + 1, (B,), generator=g)
    tokens = torch.randint(1, 50, (B, L), generator=g)
    tokens[torch.arange(L) >= lengths[:, None]] = 0  # 0 = padding at the end of each row
    valid = tokens != 0
    padding = utils.padding_mask(tokens, 0)  # (B, 1, 1, L)
    expected_causal = padding & utils.causal_mask(L)
    expected_both = padding.expand(B, 1, L, L)
    for flag, expected in [(True, expected_causal), (False, expected_both)]:
        got = self_attention_mask(valid, flag)
        assert got.shape == (B, 1, L, L) and got.dtype == torch.bool
        assert torch.equal(got, expected)
### END HIDDEN TESTS

# %% [markdown]
# ### The model: `utils.GPT`
#
# A GPT is small once you have the pieces. Token ids become vectors (a token embedding plus a
# **learned** position embedding, one vector per position up to `block_size`). Then come
# `num_layers` blocks, each a pre-norm `utils.EncoderLayer` with GELU whose self-attention uses the
# causal mask: a "decoder" block of a decoder-only model has no cross-attention, since there is no
# encoder to read. A final LayerNorm and a linear layer turn each position's vector into one score
# (logit) per vocabulary token. That last layer **shares its weight matrix with the token
# embedding** (weight tying): the same matrix reads tokens in and writes them out, which saves
# parameters and helps small models.
#
# Before training, its samples are noise drawn from the vocabulary.

# %%
BLOCK_SIZE = 64
GPT_CONFIG = dict(vocab_size=V, block_size=BLOCK_SIZE, d_model=128, num_heads=4, num_layers=2, d_ff=512)
utils.seed_everything(0)
gpt = GPT(**GPT_CONFIG).to(device)
print(f"GPT with {sum(p.numel() for p in gpt.parameters()):,} parameters "
      f"({V * GPT_CONFIG['d_model']:,} of them in the shared embedding)")

PROMPT = 'The "for" statement'
prompt_ids = torch.tensor([tokenizer.encode(PROMPT)], device=device)


def sample_text(model, new_tokens=60, temperature=0.8, top_k=40, seed=0):
    generator = torch.Generator().manual_seed(seed)  # the same draws every time
    out = model.generate(prompt_ids, new_tokens, temperature=temperature, top_k=top_k, generator=generator)
    return tokenizer.decode(out[0].cpu())


def printable(text):
    # an untrained model emits stray bytes and control characters: show each as a dot
    return "".join(ch if ch.isprintable() or ch == "\n" else "\u00b7" for ch in text)


sample_before = sample_text(gpt)
logits = gpt(prompt_ids)
print("logits:", tuple(logits.shape), "= (batch, prompt tokens, vocabulary)")

# %% [markdown]
# ### Training
#
# The loss is the cross-entropy between the logits and the shifted targets, averaged over all
# positions (`utils.lm_loss`). To know whether the model learned anything about *context*, we
# compare its validation loss with two baselines:
#
# - **uniform**: every token equally likely, a loss of $\ln V = \ln 2048 \approx 7.6$ nats per token;
# - **unigram**: every token predicted with its frequency in the training text, whatever came
#   before. This is the best a model can do without reading the context.
#
# The training below takes well under a minute on a laptop CPU.

# %%
GPT_STEPS = 200
unigram = unigram_cross_entropy(corpus.train_ids, corpus.val_ids, V)
val_loss = lambda model: evaluate_lm(model, corpus.val_ids, BLOCK_SIZE)
gpt_history = utils.train(
    gpt, lm_batches(corpus.train_ids, BLOCK_SIZE, batch_size=16, seed=0, device=device), lm_loss,
    steps=GPT_STEPS, lr=2e-3, eval_fn=val_loss, eval_every=100, desc="GPT",
)
gpt_val = gpt_history.evals[-1][1]

fig, ax = plt.subplots(figsize=(7, 3.5))
plot_losses(gpt_history, ax=ax, label="training (smoothed)", title="GPT on Python's help pages")
steps, values = zip(*gpt_history.evals)
ax.plot(steps, values, "o-", label="validation")
ax.axhline(math.log(V), color="grey", linestyle=":", label="uniform guess")
ax.axhline(unigram, color="black", linestyle="--", label="unigram baseline")
ax.set_ylabel("cross-entropy (nats / token)")
ax.legend()
plt.show()
print(f"validation loss {gpt_val:.1f} nats/token | unigram baseline {unigram:.1f} | uniform {math.log(V):.1f}")
print(f"the GPT is {unigram - gpt_val:.1f} nats/token below the unigram baseline (threshold 0.5)")

# %% [markdown]
# The validation loss falls well below the unigram line: the model uses the context. A loss of
# $\ell$ nats means the model is, on average, as unsure as a choice among $e^{\ell}$ equally likely
# tokens (its **perplexity**). Uniform guessing is a choice among 2048 tokens, the unigram baseline
# among about 550 ($e^{6.3}$), our GPT among little more than a hundred. Here are the two samples, with the same
# prompt and the same random draws:

# %%
sample_after = sample_text(gpt)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, title, sample in zip(axes, ["before training", f"after {GPT_STEPS} steps"], [sample_before, sample_after]):
    wrapped = "\n".join(textwrap.fill(line, 48) for line in printable(sample).splitlines()[:8])
    ax.text(0.0, 1.0, wrapped, va="top", family="monospace", fontsize=8.5, transform=ax.transAxes, parse_math=False)
    ax.set_title(title)
    ax.axis("off")
plt.show()


# %% [markdown]
# After less than a minute of training the text is not *correct*, but it has the words, the
# punctuation, the quoting of keywords and the indented code of the help pages. (These samples are
# drawn as a figure because the exact words can differ slightly from one CPU to another.)
#
# ## 3. Generating fast: the KV cache
#
# `generate` produces one token at a time: it runs the model on the text so far, draws the next
# token from the last position's logits, appends it, and repeats. Done naively, every step recomputes
# the keys and values of **all** earlier tokens, so generating $n$ tokens costs about $n^2/2$
# token-passes.
#
# But with a causal mask, the keys and values of token $t$ depend only on tokens $0 \dots t$: they
# never change once computed. A **KV cache** keeps them. Each new step then computes the query, key
# and value of the *new* token only, appends its key and value to the cache, and lets its query
# attend to everything cached. The new token may see all earlier tokens and itself, so this step
# needs no mask.
#
# ### Exercise 3 — one KV-cache step [3 points]
# Implement `attend_with_cache(q, k, v, k_cache, v_cache)`, for all heads at once.
# `q`, `k`, `v` are the new token's query, key and value, each `(B, H, 1, d)`; `k_cache` and
# `v_cache` hold the `t` earlier tokens, `(B, H, t, d)` (`t` may be 0). Return
# `(out, k_cache, v_cache)`: the caches with the new key and value appended along the length
# dimension, `(B, H, t + 1, d)`, and the attention output of the new token
# $\mathrm{softmax}(q K^\top / \sqrt{d})\, V$ over the updated cache, `(B, H, 1, d)`.

# %% nbgrader={"grade": false, "grade_id": "attend_with_cache", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attend_with_cache(q, k, v, k_cache, v_cache):
    """q, k, v (B, H, 1, d); caches (B, H, t, d) -> out (B, H, 1, d), caches (B, H, t + 1, d)."""
    ### BEGIN SOLUTION
    k_cache = torch.cat([k_cache, k], dim=2)
    v_cache = torch.cat([v_cache, v], dim=2)
    scores = q @ k_cache.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, 1, t + 1)
    return torch.softmax(scores, dim=-1) @ v_cache, k_cache, v_cache
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_attend_with_cache", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_attend_with_cache", globals())  # first the checks grading runs (public inputs): they name typical mistakes
# Feed a sequence one token at a time: every step must equal that row of full causal attention.
B, H, L, d = 2, 3, 5, 4
q, k, v = torch.randn(B, H, L, d), torch.randn(B, H, L, d), torch.randn(B, H, L, d)
full, _ = utils.scaled_dot_product_attention(q, k, v, mask=utils.causal_mask(L))
k_cache, v_cache = torch.zeros(B, H, 0, d), torch.zeros(B, H, 0, d)
for t in range(L):
    out, k_cache, v_cache = attend_with_cache(q[:, :, t:t + 1], k[:, :, t:t + 1], v[:, :, t:t + 1], k_cache, v_cache)
    assert out.shape == (B, H, 1, d), f"step {t}: expected output (B, H, 1, d), got {tuple(out.shape)}"
    assert k_cache.shape == (B, H, t + 1, d), f"step {t}: expected cache (B, H, {t + 1}, d), got {tuple(k_cache.shape)}"
    torch.testing.assert_close(out, full[:, :, t:t + 1])
torch.testing.assert_close(k_cache, k)
torch.testing.assert_close(v_cache, v)
print("attend_with_cache equals full causal attention at every step")
### BEGIN HIDDEN TESTS
for B, H, L, d, start in [(1, 1, 3, 1, 0), (3, 4, 9, 8, 4), (2, 2, 20, 16, 19)]:
    q, k, v = torch.randn(B, H, L, d), 3 * torch.randn(B, H, L, d), torch.randn(B, H, L, d)
    full, _ = utils.scaled_dot_product_attention(q, k, v, mask=utils.causal_mask(L))
    k_cache, v_cache = k[:, :, :start].clone(), v[:, :, :start].clone()  # a prompt already cached
    for t in range(start, L):
        out, k_cache, v_cache = attend_with_cache(q[:, :, t:t + 1], k[:, :, t:t + 1], v[:, :, t:t + 1], k_cache, v_cache)
        torch.testing.assert_close(out, full[:, :, t:t + 1], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(k_cache, k)
    torch.testing.assert_close(v_cache, v)
### END HIDDEN TESTS

# %% [markdown]
# `utils.GPT` does the same in every layer (`utils.KVCache` holds one key and value tensor per
# layer), and `generate(..., use_cache=True)` feeds only the newest token at each step. Below we
# time each generated token with and without the cache, greedily, on a fresh model with room for 320
# positions (speed does not depend on what the weights have learned). The two runs must produce
# exactly the same tokens.

# %%
@torch.no_grad()
def greedy_with_timings(model, idx, new_tokens, use_cache):
    # the loop of GPT.generate, spelled out, noting when each token is ready
    cache = KVCache(len(model.blocks)) if use_cache else None
    feed, times, start = idx, [], time.perf_counter()
    for _ in range(new_tokens):
        logits = model(feed, cache)[:, -1]  # (B, V): only the last position's guess is needed
        next_token = logits.argmax(dim=-1, keepdim=True)
        idx = torch.cat([idx, next_token], dim=1)
        feed = next_token if use_cache else idx  # the cache already holds every earlier token
        times.append(time.perf_counter() - start)
    return idx, times


utils.seed_everything(0)
wide = GPT(**(GPT_CONFIG | dict(block_size=320))).to(device).eval()
start_ids = prompt_ids[:, :4]
with_cache, t_cache = greedy_with_timings(wide, start_ids, 256, use_cache=True)
without, t_full = greedy_with_timings(wide, start_ids, 256, use_cache=False)

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(range(1, 257), t_full, label="without cache: each step recomputes the whole text")
ax.plot(range(1, 257), t_cache, label="with KV cache: each step computes one token")
ax.set_xlabel("tokens generated")
ax.set_ylabel("seconds since start")
ax.legend()
plt.show()
differ = (with_cache != without).sum().item()
print(f"tokens that differ with and without the cache: {differ} of {with_cache.numel()} (threshold 0)")


# %% [markdown]
# Without the cache the time per token grows with the length of the text, so the total grows like
# the square of the number of tokens (the curve bends upward); with the cache every step costs about
# the same and the total is a straight line. `benchmarks/gpt.py` measures the speed-up at 256 new
# tokens.
#
# ## 4. Temperature and top-k: choosing the next token
#
# The model gives a probability for every token; *how* we pick from it changes the text a lot.
# Always taking the most likely token (greedy) is repetitive. Drawing at random from the full
# distribution lets the rare, silly tokens in. Two knobs sit in between:
#
# - **temperature** $\tau$: sample from $\mathrm{softmax}(\text{logits} / \tau)$. $\tau < 1$ sharpens
#   the distribution towards the likely tokens, $\tau > 1$ flattens it, $\tau \to 0$ is greedy;
# - **top-k**: keep only the $k$ tokens with the largest logits (and any tied with the $k$-th),
#   set the others' logits to $-\infty$, then take the softmax.
#
# ### Exercise 4 — temperature and top-k [2 points]
# Implement `sampling_probs(logits, temperature, top_k)`: `logits` is `(B, V)`, `temperature` a
# number `> 0`, `top_k` an integer $\ge 1$ or `None` (keep every token). Return the `(B, V)`
# probabilities to sample from. Hint: `torch.topk` gives the $k$ largest values of each row.

# %% nbgrader={"grade": false, "grade_id": "sampling_probs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sampling_probs(logits, temperature=1.0, top_k=None):
    """logits (B, V) -> probabilities (B, V) after temperature scaling and top-k filtering."""
    ### BEGIN SOLUTION
    logits = logits / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.softmax(logits, dim=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sampling_probs", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_sampling_probs", globals())  # first the checks grading runs (public inputs): they name typical mistakes
logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
plain = sampling_probs(logits, 1.0, None)
torch.testing.assert_close(plain, torch.softmax(logits, dim=-1))
sharp = sampling_probs(logits, 0.5, 2)
assert sharp.shape == (1, 4), f"expected shape (1, 4), got {tuple(sharp.shape)}"
assert sharp[0, 2:].sum() == 0, "top_k=2 must give the other tokens probability 0"
torch.testing.assert_close(sharp[0, 0] / sharp[0, 1], torch.tensor(math.exp(2.0)))  # (2 - 1) / 0.5
print("probabilities at temperature 0.5, top-2:", sharp[0].numpy().round(3))
### BEGIN HIDDEN TESTS
g = torch.Generator().manual_seed(3)
for B, vocab in [(1, 5), (4, 50), (3, 1000)]:
    logits = 3 * torch.randn(B, vocab, generator=g)
    for temperature in (0.3, 1.0, 1.7):
        for top_k in (None, 1, 3, vocab, vocab + 5):
            torch.testing.assert_close(sampling_probs(logits, temperature, top_k),
                                       next_token_probs(logits, temperature, top_k))
ties = torch.tensor([[1.0, 3.0, 3.0, 0.0, 3.0]])
torch.testing.assert_close(sampling_probs(ties, 1.0, 2), next_token_probs(ties, 1.0, 2))
### END HIDDEN TESTS

# %% [markdown]
# Here is what the two knobs do to your GPT's guesses for the token after the prompt
# (computed with the tested `utils.next_token_probs`):

# %%
def top_tokens(probs, n=10):
    # the n most likely tokens (fewer if top-k has zeroed the rest), as readable strings
    values, ids = probs.topk(n)
    keep = values > 0
    return [repr(tokenizer.id_to_token(i)) for i in ids[keep].tolist()], values[keep].tolist()


def draw_bars(ax, names, values, title, color="tab:blue", xmax=1.0):
    ax.barh(range(len(names))[::-1], values, color=color)
    ax.set_yticks(range(len(names))[::-1], names, fontsize=8)
    ax.set_xlim(0, xmax)
    ax.set_title(title, fontsize=9)


with torch.no_grad():
    last_logits = gpt(prompt_ids)[:, -1].cpu()  # (1, V)
settings = [(0.5, None), (1.0, None), (2.0, None), (1.0, 5)]
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2), sharey=False)
for ax, (temperature, top_k) in zip(axes, settings):
    names, values = top_tokens(next_token_probs(last_logits, temperature, top_k)[0])
    draw_bars(ax, names, values, f"temperature {temperature}, top-k {top_k}", xmax=0.6)
fig.suptitle(f"next token after {PROMPT!r}")
plt.tight_layout()
plt.show()


# %% [markdown]
# Try it yourself: the panel below samples 50 tokens from your trained GPT after the prompt. Move
# the sliders: at temperature 0 the text is greedy (and repeats itself); raise the temperature and the
# text becomes more varied, then incoherent; a small top-k cuts off the silly tail.

# %%
def draw_sampling(axes, temperature, top_k, seed):
    ax_probs, ax_text = axes[0]
    names, values = top_tokens(next_token_probs(last_logits, temperature, top_k)[0], 8)
    draw_bars(ax_probs, names, values, "next-token probabilities")
    text = sample_text(gpt, new_tokens=50, temperature=temperature, top_k=top_k, seed=seed)
    wrapped = "\n".join(textwrap.fill(line, 60) for line in printable(text).splitlines()[:9])
    ax_text.text(0.0, 1.0, wrapped, va="top", family="monospace", fontsize=8, transform=ax_text.transAxes, parse_math=False)
    ax_text.set_title("a sample", fontsize=9)
    ax_text.axis("off")


interactive_figure(
    draw_sampling, axes=(1, 2), figsize=(11, 3.4),
    temperature=FloatSlider(value=0.8, min=0.0, max=2.0, step=0.1, description="temperature"),
    top_k=IntSlider(value=20, min=1, max=200, description="top-k"),
    seed=IntSlider(value=0, min=0, max=9, description="seed"),
)


# %% [markdown]
# ## 5. Encoder-only: fill in the blank
#
# An encoder-only model such as **BERT** uses the bidirectional mask: every token reads the whole
# text, left *and* right. It cannot be trained to predict the next token (it would simply read it),
# so BERT is trained as a **masked language model**: hide some tokens and ask the model to recover
# them from both sides.
#
# BERT chooses 15% of the positions. It replaces 80% of the chosen ones with `<mask>`, 10% with a
# random token, and leaves 10% unchanged; the loss scores only the chosen positions. Why not always
# `<mask>`? Because `<mask>` never appears when the model is used later: if the model only ever
# had to work at `<mask>` positions, it would learn nothing useful about the representation of a real
# token. With the 80/10/10 rule, any token might be a target, so every token gets a good vector.
#
# ### Exercise 5 — the masking rule [3 points]
# Implement `mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None)`. Each position
# is chosen independently with probability `mask_prob`. Return `(inputs, labels)`, both shaped like
# `tokens` and `torch.long`:
# - `labels` holds the original token at chosen positions and `-100` (`IGNORE_INDEX`, which
#   `F.cross_entropy` skips) everywhere else;
# - `inputs` is `tokens` with each chosen position replaced by `mask_id` with probability 0.8, by a
#   token drawn uniformly from `0 .. vocab_size - 1` with probability 0.1, and left unchanged with
#   probability 0.1. Unchosen positions are left alone, and `tokens` itself must not be modified.
#
# Draw every random number with `generator=generator` (`torch.rand`, `torch.randint`).

# %% nbgrader={"grade": false, "grade_id": "mlm_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mlm_mask(tokens, mask_id, vocab_size, mask_prob=0.15, generator=None):
    """tokens (...) -> inputs (...) with BERT's 80/10/10 corruption, labels (...) (-100 = not scored)."""
    ### BEGIN SOLUTION
    chosen = torch.rand(tokens.shape, generator=generator) < mask_prob
    labels = tokens.masked_fill(~chosen, IGNORE_INDEX)
    action = torch.rand(tokens.shape, generator=generator)
    random_tokens = torch.randint(0, vocab_size, tokens.shape, generator=generator)
    inputs = tokens.masked_fill(chosen & (action < 0.8), mask_id)
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    inputs = torch.where(to_random, random_tokens, inputs)
    return inputs, labels
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlm_mask", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_mlm_mask", globals())  # first the checks grading runs (public inputs): they name typical mistakes
tokens = torch.randint(5, 100, (200, 100))
original = tokens.clone()
inputs, labels = mlm_mask(tokens, mask_id=1, vocab_size=100, generator=torch.Generator().manual_seed(0))
assert inputs.shape == tokens.shape and labels.shape == tokens.shape, "inputs and labels have the shape of tokens"
assert inputs.dtype == torch.long and labels.dtype == torch.long, "inputs and labels must be torch.long"
assert torch.equal(tokens, original), "do not modify tokens in place"
chosen = labels != -100
assert torch.equal(labels[chosen], tokens[chosen]), "a chosen position's label is its original token"
assert torch.equal(inputs[~chosen], tokens[~chosen]), "positions that are not chosen keep their token"
share = chosen.float().mean().item()
assert abs(share - 0.15) < 0.01, f"about 15% of positions should be chosen, got {share:.3f}"
masked = (inputs[chosen] == 1).float().mean().item()
assert abs(masked - 0.8) < 0.03, f"about 80% of chosen positions should become <mask>, got {masked:.3f}"
print(f"chosen: {share:.0%}, of which <mask>: {masked:.0%}")
### BEGIN HIDDEN TESTS
vocab, mask_id = 500, 3
tokens = torch.randint(0, vocab, (300, 400), generator=torch.Generator().manual_seed(8))
for p in (0.15, 0.4):
    inputs, labels = mlm_mask(tokens, mask_id, vocab, mask_prob=p, generator=torch.Generator().manual_seed(9))
    chosen = labels != -100
    assert (labels[~chosen] == -100).all() and torch.equal(labels[chosen], tokens[chosen])
    assert torch.equal(inputs[~chosen], tokens[~chosen])
    n = chosen.sum().item()
    assert abs(n / tokens.numel() - p) < 0.005
    is_mask = (inputs == mask_id) & chosen & (tokens != mask_id)
    kept = (inputs == tokens) & chosen
    replaced = chosen & ~is_mask & ~kept
    assert abs(is_mask.sum().item() / n - 0.8) < 0.015
    assert abs(kept.sum().item() / n - 0.1) < 0.012
    assert abs(replaced.sum().item() / n - 0.1) < 0.012
    assert len(inputs[replaced].unique()) > 0.9 * vocab, "random tokens come from the whole vocabulary"
a = mlm_mask(tokens, mask_id, vocab, generator=torch.Generator().manual_seed(1))
b = mlm_mask(tokens, mask_id, vocab, generator=torch.Generator().manual_seed(1))
c = mlm_mask(tokens, mask_id, vocab, generator=torch.Generator().manual_seed(2))
assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]), "the same generator seed must give the same masks"
assert not torch.equal(a[1], c[1]), "another seed must give other masks"
### END HIDDEN TESTS

# %% [markdown]
# `utils.MaskedLM` is the encoder-only twin of our GPT: the same embeddings, a pre-norm
# `utils.Encoder` **without** the causal mask, and the same tied output layer. We train it on the same
# text with the tested `utils.mask_tokens` (your rule; it also never picks the special tokens),
# with one change: we choose 40% of the positions instead of 15%. A masked LM learns only from the
# positions it chose, so with 15% it gets less than a sixth of the training signal a GPT gets from
# the same batch; 40% more than doubles it, and Wettig et al. (2022, "Should You Mask 15% in Masked
# Language Modeling?") found that 40% trains BERT-size models at least as well.
#
# Afterwards we hide 15% of the validation tokens and count how often the model recovers them,
# against always guessing the most frequent token.

# %%
MLM_STEPS = 300
utils.seed_everything(0)
bert = MaskedLM(**GPT_CONFIG).to(device)
mlm_history = utils.train(
    bert, mlm_batches(corpus.train_ids, BLOCK_SIZE, batch_size=16, tokenizer=tokenizer, mask_prob=0.4, seed=0,
                      device=device),
    mlm_loss, steps=MLM_STEPS, lr=2e-3, desc="masked LM",
)


@torch.no_grad()
def masked_accuracy(model, n_blocks=200):
    x, _ = blocks_at(corpus.val_ids, torch.arange(n_blocks) * BLOCK_SIZE, BLOCK_SIZE)
    inputs, labels = mask_tokens(x, tokenizer.mask_id, V, 0.15, tokenizer.special_ids, torch.Generator().manual_seed(0))
    chosen = labels != IGNORE_INDEX
    guesses = model(inputs.to(device)).argmax(dim=-1).cpu()
    most_frequent = torch.bincount(corpus.train_ids, minlength=V).argmax()
    return (guesses[chosen] == labels[chosen]).float().mean().item(), (labels[chosen] == most_frequent).float().mean().item()


bert.eval()
mlm_accuracy, frequent_accuracy = masked_accuracy(bert)
fig, ax = plt.subplots(figsize=(7, 3.2))
plot_losses(mlm_history, ax=ax, title="masked LM: loss at the chosen positions")
plt.show()
print(f"hidden validation tokens recovered: {mlm_accuracy:.0%} (always guessing the most frequent token: {frequent_accuracy:.0%})")

# %% [markdown]
# It recovers clearly more hidden tokens than the frequency baseline, but it is far from good: a
# masked LM learns from a fraction of its positions, and ours had a few seconds. Here is the classic
# demo anyway: give the encoder a sentence with a blank and look at its five best guesses. It reads
# the words on **both** sides of the blank, something a left-to-right GPT cannot do.

# %%
BLANKS = [
    "An object is an instance of a <mask>.",
    "New in <mask> 3.10.",
    "The exception is raised when the <mask> is not found.",
]


@torch.no_grad()
def fill_blank(sentence, n=5):
    left, right = sentence.split("<mask>")
    ids = tokenizer.encode(left) + [tokenizer.mask_id] + tokenizer.encode(right)
    where = len(tokenizer.encode(left))
    probs = bert(torch.tensor([ids], device=device))[0, where].softmax(-1).cpu()
    return top_tokens(probs, n)


fig, axes = plt.subplots(1, len(BLANKS), figsize=(13, 2.8))
for ax, sentence in zip(axes, BLANKS):
    names, values = fill_blank(sentence)
    draw_bars(ax, names, values, textwrap.fill(sentence, 40), color="tab:green", xmax=0.2)
plt.tight_layout()
plt.show()

# %% [markdown]
# Look for guesses that make sense only given the words on both sides of the blank. Next to them
# you will find the corpus's most frequent tokens (a newline, "the", a quote): a sign of how little
# this small model has learned so far.
#
# ### A real encoder: MiniLM and a linear probe
#
# Our encoder saw half a megabyte of text for a few seconds. The models of the BERT family read
# billions of words first; people then use their token vectors as **features** for understanding
# tasks: classification, sentiment analysis, question answering. The pretrained MiniLM from lesson 02
# (`utils.load_minilm`, six BERT layers rebuilt from `utils`) is such a model.
#
# The simplest way to use an encoder is a **linear probe**: freeze it, turn each sentence into one
# vector (the mean of its token vectors), and train only a linear classifier on top. Our task:
# the sentiment of short reviews. To make it a real test of understanding, the test sentences use
# **adjectives that never occur in training** ("superb", "dismal", ...): a classifier can only get
# them right if the encoder already knows what those words mean.

# %%
SUBJECTS = ["the film", "the meal", "our hotel", "the concert", "this book", "the service", "my holiday", "the game"]
TEMPLATES = ["{s} was {a}.", "I thought {s} was {a}.", "Honestly, {s} was really {a}."]
TRAIN_WORDS = {1: ["good", "great", "excellent", "wonderful", "lovely", "fantastic"],
               0: ["bad", "terrible", "awful", "horrible", "poor", "dreadful"]}
TEST_WORDS = {1: ["superb", "brilliant", "delightful", "marvellous"],
              0: ["dismal", "appalling", "mediocre", "disappointing"]}


def reviews(words):
    pairs = [(t.format(s=s, a=a), label) for label, adjectives in words.items()
             for a in adjectives for s in SUBJECTS for t in TEMPLATES]
    return [text[0].upper() + text[1:] for text, _ in pairs], [label for _, label in pairs]


train_sentences, train_labels = reviews(TRAIN_WORDS)
test_sentences, test_labels = reviews(TEST_WORDS)
print(len(train_sentences), "training and", len(test_sentences), "test reviews, e.g.", repr(test_sentences[0]))


@torch.no_grad()
def our_encoder_vectors(sentences):
    # one padded batch; the attention mask keeps every token from reading the padding
    ids = [tokenizer.encode(s) for s in sentences]
    batch = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
    real = torch.zeros(batch.shape)
    for row, seq in enumerate(ids):
        batch[row, :len(seq)], real[row, :len(seq)] = torch.tensor(seq), 1
    hidden = bert.hidden(batch.to(device), real.to(device)).cpu()  # (N, L, d_model)
    return (hidden * real[..., None]).sum(dim=1) / real.sum(dim=1, keepdim=True)  # mean of the real tokens


minilm, _ = utils.load_minilm(device)
probe_accuracy = {}
ENCODERS = {"our masked LM\n(Python help pages)": our_encoder_vectors, "MiniLM\n(pretrained)": minilm.encode}
for name, encode in ENCODERS.items():
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(encode(train_sentences).numpy(), train_labels)
    probe_accuracy[name] = probe.score(encode(test_sentences).numpy(), test_labels)

fig, ax = plt.subplots(figsize=(6, 2.8))
bars = ax.barh(list(probe_accuracy)[::-1], list(probe_accuracy.values())[::-1], color=["tab:green", "tab:blue"])
ax.bar_label(bars, fmt="%.2f")
ax.axvline(0.5, color="grey", linestyle="--", label="coin flip")
ax.set_xlim(0, 1.05)
ax.set_xlabel("accuracy on reviews with unseen adjectives")
ax.legend(loc="lower right")
plt.show()
minilm_accuracy = probe_accuracy["MiniLM\n(pretrained)"]
print(f"MiniLM's probe gets {minilm_accuracy:.0%} of the unseen adjectives right (threshold 90%)")

# %% [markdown]
# The same linear classifier, on two encoders: the one pretrained on a large corpus knows that
# "superb" is praise and "dismal" is not, without ever being told. That is how encoder-only models
# are used: pretrain once on a lot of text, then put a small head on top for each understanding
# task.
#
# ## 6. Encoder–decoder: transform one text into another
#
# The third family keeps both halves. The encoder reads the whole source with the bidirectional
# mask; the decoder writes the output left to right with the causal mask and, through
# **cross-attention**, reads the encoder's output at every step. That is the model you built and trained in
# lesson 04. Its trained weights ship with the course, so `utils.load_translator` loads them
# instead of training it again (`utils.train_translator` would retrain it the same way):

# %%
translator = utils.load_translator(device)
for french, english in translator.test_pairs[:3]:
    print(f"{french:<40} -> {translator(french)}")
exact = utils.exact_match(translator.model, translator.test_pairs, translator.src_vocab, translator.tgt_vocab)
print(f"held-out sentences translated exactly: {exact:.0%} of {len(translator.test_pairs)} (threshold 97%)")

# %% [markdown]
# ## 7. Side by side
#
# The three families differ in one picture: who may look at whom. Below, a cell is green when the
# token of its row may attend to the token of its column. For the encoder–decoder, the rows and
# columns hold the source sentence followed by the target written so far: the encoder's tokens see
# the source only; the decoder's tokens see the whole source (cross-attention) and the target up to
# themselves.

# %%
words = ["the", "cat", "sat", "on", "the", "mat"]
french, english = translator.test_pairs[0]
source = french.split()
target = ["<bos>"] + english.split()
S, T = len(source), len(target)
encoder_decoder = torch.zeros(S + T, S + T, dtype=torch.bool)
encoder_decoder[:, :S] = True  # everyone reads the source
encoder_decoder[S:, S:] = utils.causal_mask(T)  # the target reads its own past

panels = [
    ("encoder-only (BERT)\nbidirectional", torch.ones(6, 6, dtype=torch.bool), words, words),
    ("decoder-only (GPT)\ncausal", utils.causal_mask(6), words, words),
    ("encoder-decoder (T5, MarianMT)\nsource | target", encoder_decoder, source + target, source + target),
]
fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
for ax, (title, mask, rows, cols) in zip(axes, panels):
    ax.imshow(mask.float(), cmap="Greens", vmin=0, vmax=1.3)
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("key (may be read)")
axes[0].set_ylabel("query (reading)")
axes[2].axhline(S - 0.5, color="black")
axes[2].axvline(S - 0.5, color="black")
plt.tight_layout()
plt.show()
for title, mask, _, _ in panels:
    print(f"{title.splitlines()[0]:<31} {mask.float().mean():.0%} of query-key pairs allowed")

# %% [markdown]
# | | encoder-only | decoder-only | encoder–decoder |
# |---|---|---|---|
# | **examples** | BERT, RoBERTa, DistilBERT, ALBERT | GPT, GPT-2, GPT-3, GPT-4, LLaMA (and Codex for code) | T5, BART, MarianMT |
# | **reads** | the whole input, both directions | the text so far, left to right | the whole source (encoder); the output so far plus the source (decoder) |
# | **predicts** | hidden tokens (masked LM); then a label per sentence or token | the next token | the output text, token by token |
# | **mask** | bidirectional (padding only) | causal | bidirectional in the encoder, causal in the decoder, full cross-attention |
# | **used for** | understanding: sentiment analysis, classification, question answering | generation: chatbots, text completion, code | transformation: translation, summarization, any text-to-text task |
# | **in this lesson** | `MaskedLM`, MiniLM + linear probe | `GPT` with a KV cache | lesson 04's `Transformer` |
#
# In short: **encoder-only → understanding, decoder-only → generation, encoder–decoder →
# transformation**. When you face a new problem, ask whether you need a representation of a text, a
# continuation of it, or another text made from it.

# %% [markdown]
# ## The real thing: published checkpoints in the models you built
#
# Everything above was trained from scratch on a few hundred kilobytes of text, in seconds. The models
# people use are the same three families, trained far longer on far more data, and their published
# weights load into the course's own classes: `utils.load_gpt2` puts GPT-2 into `utils.GPT`,
# `utils.load_bert_classifier` puts DistilBERT into the course's encoder stack, and `utils.load_marian`
# puts MarianMT into `utils.Transformer`. Each real model differs from the 2017 design in small, named
# ways, and the course model has an option for each: GPT-2 is pre-norm with GELU's tanh variant;
# DistilBERT is the post-norm encoder with a small head on `[CLS]`; MarianMT is the 2017 Transformer
# with SiLU, sines-then-cosines positions and one embedding matrix shared three ways.
#
# With internet (Colab, Binder, a laptop) each checkpoint downloads once into the Hugging Face cache
# (0.3-0.6 GB). Offline, the cell says so and the lesson goes on. Its output is not compared by the
# tests, since it depends on whether the checkpoints are available.

# %%
# NBVAL_IGNORE_OUTPUT
CHECKPOINTS = {"decoder-only": "gpt2", "encoder-only": "distilbert-base-uncased-finetuned-sst-2-english",
               "encoder-decoder": "Helsinki-NLP/opus-mt-en-fr"}


def load_checkpoint(loader, family):
    try:
        return loader(CHECKPOINTS[family], device="cpu")  # the Hugging Face cache, or a download when online
    except (FileNotFoundError, ValueError, OSError, ImportError) as err:
        print(f"{family}: {CHECKPOINTS[family]} is not available here ({type(err).__name__}); with internet "
              "it is downloaded once and runs in the course's model")
        return None, None


gpt2, gpt2_tokenizer = load_checkpoint(utils.load_gpt2, "decoder-only")
if gpt2 is not None:
    ids = gpt2.generate(torch.tensor([gpt2_tokenizer.encode("Once upon a time")]), 20, temperature=0,
                        eos_id=gpt2_tokenizer.eos_token_id)
    print(f"GPT-2 in utils.GPT ({sum(p.numel() for p in gpt2.parameters()) / 1e6:.0f}M parameters):",
          repr(gpt2_tokenizer.decode(ids[0], skip_special_tokens=True)))
distilbert, bert_tokenizer = load_checkpoint(utils.load_bert_classifier, "encoder-only")
if distilbert is not None:
    batch = bert_tokenizer(["The new iPhone is awesome!"], return_tensors="pt")
    with torch.no_grad():
        probs = distilbert(batch["input_ids"], batch["attention_mask"]).softmax(dim=-1)[0]
    print("DistilBERT in the course's encoder:",
          {distilbert.id2label[i]: round(p, 3) for i, p in enumerate(probs.tolist())})
marian, marian_tokenizer = load_checkpoint(utils.load_marian, "encoder-decoder")
if marian is not None:
    source = marian_tokenizer(["Machine learning is fascinating!"], return_tensors="pt").input_ids
    print("MarianMT in utils.Transformer:",
          marian_tokenizer.batch_decode(marian.greedy_decode(source, **marian.generation), skip_special_tokens=True))

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
    subprocess.run([sys.executable, "-m", "tools.check", str(here / "05_model_types.ipynb")], cwd=check.parents[1])

# %% [markdown]
# ## Summary
#
# - The three families use the same layers; they differ in the attention mask and the training
#   objective.
# - A decoder-only model learns from next-token pairs (input shifted by one), under a causal mask.
#   Your GPT learned Python's help pages in under a minute and beat the unigram baseline by a wide
#   margin.
# - A KV cache stores the keys and values of past tokens, so each generated token costs one
#   position's work; the output is the same, only faster.
# - Temperature and top-k decide how adventurous sampling is.
# - An encoder-only model reads both directions and is trained to fill in blanks chosen by BERT's
#   80/10/10 rule; a pretrained one, MiniLM, gives features good enough for a linear probe to judge
#   words it was never trained on.
# - An encoder–decoder reads a whole source and writes a new text: translation, summarization.
#
# **Next: Lesson 06 — Applications.** Most people meet all three families through one function,
# Hugging Face's `pipeline(task)`. You will open that box and run sentiment analysis, text generation,
# translation and more through the same interface, offline, with models from this course.
