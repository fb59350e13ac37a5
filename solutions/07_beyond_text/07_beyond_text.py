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
# # Lesson 07 — Beyond text: images and sound as sequences
#
# Everything so far read words. But attention never asks what its tokens *are*: it takes a sequence
# of vectors and lets each one look at the others. Give it anything you can cut into a sequence of
# vectors and the same layers work. That is what happened after 2020: the **Vision Transformer**
# (ViT, 2020) read images as sequences of patches, **CLIP** (2021) put images and captions into one
# space, and **Whisper** (2022) turned speech into text with the encoder-decoder you built in lesson 04.
# By 2023–24 this wave had reached multimodal assistants such as GPT-4V, which read images and text together.
#
# In this lesson you build a miniature of each, on data that ships with the course or that you make
# yourself, and train all three on your CPU in about a minute. The Transformer itself does not change:
# `utils.Encoder` and `utils.Decoder`, exactly as in lessons 04 and 05. Only what goes in changes.
#
# **You will**
# 1. cut an image into patches (graded), add a `[CLS]` token and learned positions (graded), and train a
#    small ViT on handwritten digits to at least 97% test accuracy;
# 2. look at where its `[CLS]` token attends on the image;
# 3. write CLIP's symmetric contrastive loss and its zero-shot classifier (both graded), train a mini CLIP
#    on digit images with captions such as "a handwritten seven", and classify images by writing prompts;
# 4. frame a waveform (graded), turn it into a log-mel spectrogram as Whisper does, and train a mini
#    Whisper that transcribes dialled telephone numbers; score it with the character error rate;
# 5. compare the sizes of these minis with the real ViT, CLIP and Whisper.
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
import matplotlib.pyplot as plt
import torch.nn.functional as F
from ipywidgets import IntSlider

from utils import CAPTION_TEMPLATES, DIGIT_NAMES
from utils import plot_losses, interactive_figure

# The three models are tiny (under 200k parameters each). Splitting such small matrix products over
# several cores costs more in waiting than it saves, and one thread also gives the same numbers on
# every machine. Everything here runs on the CPU.
torch.set_num_threads(1)

# %% [markdown]
# ## 1. An image is a sequence of patches
#
# Our images are scikit-learn's handwritten digits: 1,797 scans of 8×8 pixels, bundled with the library,
# so nothing is downloaded. We keep a quarter of them aside for testing, with the same share of each digit.

# %%
train_images, train_labels, test_images, test_labels = utils.load_digit_images()
print("train:", tuple(train_images.shape), "| test:", tuple(test_images.shape), "| pixel values in [0, 1]")

fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, image, label in zip(axes.flat, train_images, train_labels):
    ax.imshow(image[0], cmap="gray_r")
    ax.set_title(DIGIT_NAMES[label], fontsize=9)
    ax.axis("off")
plt.show()


# %% [markdown]
# A Transformer reads a sequence of vectors. A sentence gave one vector per word; an image gives one
# vector per **patch**. ViT cuts the image into a grid of non-overlapping $p \times p$ squares and
# flattens each square into one vector of $C \cdot p \cdot p$ numbers (C colour channels). Our 8×8 grey
# digits with $p = 2$ become $4 \times 4 = 16$ patches of 4 numbers each. The real ViT cut 224×224 colour
# photos into 16×16 patches — hence the title of its paper, *An Image is Worth 16x16 Words* — which gives
# 196 patches of $3 \cdot 16 \cdot 16 = 768$ numbers.
#
# ### Exercise 1 — patchify [2 points]
# Implement `patchify(images, patch_size)`: `images` is `(B, C, H, W)` and the result is
# `(B, N, C * p * p)` with $N = (H/p)(W/p)$.
# - Patches come in **reading order**: left to right along the top row of the grid, then the next row.
# - Inside a patch the values are ordered **channel, then row, then column** (so a grey patch
#   `[[a, b], [c, d]]` becomes `[a, b, c, d]`).
#
# No loops needed: `reshape` can split `H` into `(H/p, p)` and `W` into `(W/p, p)`; `permute` can then
# bring the two grid axes in front of the channel axis. You may assume that `p` divides `H` and `W`.

# %% nbgrader={"grade": false, "grade_id": "patchify", "locked": false, "schema_version": 3, "solution": true, "task": false}
def patchify(images, patch_size):
    """images (B, C, H, W) -> patches (B, N, C * p * p), N = (H / p) * (W / p), in reading order."""
    ### BEGIN SOLUTION
    B, C, H, W = images.shape
    p = patch_size
    grid = images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5)  # (B, H/p, W/p, C, p, p)
    return grid.reshape(B, (H // p) * (W // p), C * p * p)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_patchify", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_patchify", globals())  # first the checks grading runs (public inputs): they name typical mistakes
image = torch.arange(16.0).reshape(1, 1, 4, 4)
patches = patchify(image, 2)
assert patches.shape == (1, 4, 4), f"expected (1, 4, 4): 4 patches of 4 pixels, got {tuple(patches.shape)}"
expected = torch.tensor([[[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15.0]]])
torch.testing.assert_close(patches, expected)
print("patchify cuts a 4x4 image into four 2x2 patches, in reading order")
### BEGIN HIDDEN TESTS
for shape, p in [((2, 1, 8, 8), 2), ((3, 3, 12, 8), 4), ((1, 2, 6, 9), 3), ((4, 3, 5, 5), 1), ((2, 3, 4, 4), 4)]:
    images = torch.randn(shape)
    torch.testing.assert_close(patchify(images, p), utils.patchify(images, p))
    # F.unfold collects the same blocks, in the same orders, as (B, C * p * p, N)
    torch.testing.assert_close(patchify(images, p), F.unfold(images, kernel_size=p, stride=p).transpose(1, 2))
### END HIDDEN TESTS

# %% [markdown]
# Here is one digit as the Transformer will see it: 16 tokens of 4 pixels. (From here on the lesson
# uses the tested `utils.patchify`, so it runs even if you skip an exercise.)

# %%
patches = utils.patchify(train_images[:1], 2)[0]  # (16, 4)
fig, (ax_image, ax_tokens) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1, 2.4]},
                                          layout="constrained")
ax_image.imshow(train_images[0, 0], cmap="gray_r")
for edge in (1.5, 3.5, 5.5):
    ax_image.axhline(edge, color="tab:red")
    ax_image.axvline(edge, color="tab:red")
for n in range(16):
    ax_image.text(2 * (n % 4) + 0.5, 2 * (n // 4) + 0.5, n, color="tab:blue", ha="center", va="center", fontsize=8)
ax_image.set_title("16 patches of 2 x 2 pixels", fontsize=10)
ax_image.axis("off")
ax_tokens.imshow(patches.T, cmap="gray_r", aspect="auto")
ax_tokens.set_xticks(range(16))
ax_tokens.set_yticks(range(4), ["top left", "top right", "bottom left", "bottom right"], fontsize=8)
ax_tokens.set_xlabel("token (patch number)")
ax_tokens.set_title("the sequence: one column of 4 pixels per patch", fontsize=10)
plt.show()
print("one image ->", tuple(patches.shape), "= 16 tokens of 4 numbers")


# %% [markdown]
# ## 2. The Vision Transformer
#
# Three steps turn the patches into the input of an ordinary encoder:
#
# 1. **Patch embedding.** One `nn.Linear` maps every flattened patch to `d_model` numbers: the image
#    equivalent of a word embedding.
# 2. **A `[CLS]` token.** A learned vector is put in front of the sequence, like the `[CLS]` of
#    BERT-style encoders such as MiniLM (lessons 02–05). It belongs to no patch; through attention it
#    gathers a summary of all of them, and the classifier reads only its output.
# 3. **Positions.** Attention ignores order (lesson 04), and where a stroke lies matters: a bar at the
#    top makes a seven, at the bottom a two. ViT adds one **learned** position vector per slot, `[CLS]`
#    included, instead of the sinusoidal table: the grid is fixed, and the model can learn which patches
#    are neighbours in two dimensions.
#
# ### Exercise 2 — the `[CLS]` token and the positions [2 points]
# Implement `add_cls_and_positions(tokens, cls_token, positions)`: `tokens` are the embedded patches
# `(B, N, d)`, `cls_token` is one learned vector `(d,)` shared by every image, and `positions` is
# `(N + 1, d)`. Return `(B, N + 1, d)`: the `[CLS]` vector in front of each image's tokens, then
# `positions` added to all `N + 1` slots. Keep it differentiable (no in-place writes into the parameters):
# the model learns `cls_token` and `positions` through this function.

# %% nbgrader={"grade": false, "grade_id": "add_cls_and_positions", "locked": false, "schema_version": 3, "solution": true, "task": false}
def add_cls_and_positions(tokens, cls_token, positions):
    """tokens (B, N, d), cls_token (d,), positions (N + 1, d) -> (B, N + 1, d)."""
    ### BEGIN SOLUTION
    B, N, d = tokens.shape
    cls = cls_token.reshape(1, 1, d).expand(B, 1, d)  # the same vector in front of every image
    return torch.cat([cls, tokens], dim=1) + positions
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_add_cls_and_positions", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_add_cls_and_positions", globals())  # first the checks grading runs (public inputs): they name typical mistakes
tokens = torch.zeros(1, 3, 2)  # one image of 3 patches, d = 2
cls_token = torch.tensor([5.0, 5.0])
positions = torch.tensor([[0.0, 0.1], [1.0, 1.1], [2.0, 2.1], [3.0, 3.1]])
out = add_cls_and_positions(tokens, cls_token, positions)
assert out.shape == (1, 4, 2), f"expected (1, 4, 2): [CLS] + 3 patches, got {tuple(out.shape)}"
torch.testing.assert_close(out[0], torch.tensor([[5.0, 5.1], [1.0, 1.1], [2.0, 2.1], [3.0, 3.1]]))
print("[CLS] comes first, and every slot gets its position")
### BEGIN HIDDEN TESTS
for B, N, d in [(4, 16, 8), (2, 1, 3), (7, 5, 6)]:
    tokens = torch.randn(B, N, d)
    cls_token, positions = torch.randn(d, requires_grad=True), torch.randn(N + 1, d, requires_grad=True)
    out = add_cls_and_positions(tokens, cls_token, positions)
    torch.testing.assert_close(out, utils.add_cls_and_positions(tokens, cls_token, positions))
    out.sum().backward()
    torch.testing.assert_close(cls_token.grad, torch.full((d,), float(B)))  # one shared vector, B uses
    torch.testing.assert_close(positions.grad, torch.full((N + 1, d), float(B)))
### END HIDDEN TESTS

# %% [markdown]
# `utils.PatchEmbedding` does those three steps, and `utils.ViT` puts it in front of a
# pre-norm `utils.Encoder` with GELU (ViT's choices) and a linear classifier on the `[CLS]` output.
#
# A Transformer knows nothing about images in advance. A convolutional network is built to look at
# neighbouring pixels and to treat a shifted stroke the same way; a ViT has to learn both from data.
# The real ViT beat convolutional networks only when pre-trained on tens to hundreds of millions of
# images.
# We have 1,347, so we help it with **data augmentation**: each training image is shifted by one pixel
# with probability 1/2 (`utils.random_shift`); a digit moved one pixel is still the same digit.
# Label smoothing (targets of 0.9 instead of 1) keeps it from becoming overconfident. We train for a
# fixed 800 steps with `utils.train`.

# %%
utils.seed_everything(0)
vit = utils.ViT(image_size=8, patch_size=2, num_classes=10, d_model=64, num_heads=4, num_layers=2,
                       d_ff=128)
print(f"ViT: {sum(p.numel() for p in vit.parameters()):,} parameters; it reads 1 + {vit.embed.num_patches} tokens")
image_batches = torch.Generator().manual_seed(0)


def digit_batch(batch_size=64):
    i = torch.randint(0, len(train_labels), (batch_size,), generator=image_batches)
    return utils.random_shift(train_images[i], max_shift=1, p=0.5, generator=image_batches), train_labels[i]


def vit_loss(model, batch):
    images, labels = batch
    return F.cross_entropy(model(images), labels, label_smoothing=0.1)


vit_history = utils.train(vit, digit_batch, vit_loss, steps=800, lr=3e-3, weight_decay=0.05, desc="ViT")
with torch.no_grad():
    vit_predictions = vit(test_images).argmax(dim=-1)
vit_accuracy = (vit_predictions == test_labels).float().mean().item()
print(f"test accuracy: {vit_accuracy:.2f} on {len(test_labels)} images it never saw (threshold 0.97)")

# %%
fig, (ax_loss, ax_wrong) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [3, 2]})
plot_losses(vit_history, ax=ax_loss, title=f"ViT training loss ({vit_history.seconds:.0f} s on this machine)")
wrong = (vit_predictions != test_labels).nonzero().flatten()[:6].tolist()
ax_wrong.axis("off")
ax_wrong.set_title(f"some of the {(vit_predictions != test_labels).sum()} mistakes (true -> predicted)", fontsize=9)
for k, index in enumerate(wrong):
    inset = ax_wrong.inset_axes([k / 6, 0.1, 1 / 6 - 0.01, 0.8])
    inset.imshow(test_images[index, 0], cmap="gray_r")
    inset.set_title(f"{test_labels[index]} -> {vit_predictions[index]}", fontsize=8)
    inset.axis("off")
plt.show()

# %% [markdown]
# ### Where does `[CLS]` look?
#
# The classifier only reads the `[CLS]` position, so the attention weights of `[CLS]` in the last layer
# show which patches fed the decision. `vit.cls_attention(images)` catches them on the way (with a
# forward hook; the model is not changed), averages the four heads, and lays the 16 weights out on the
# 4×4 grid. We draw them over one test image of each digit.

# %%
examples = [test_labels.tolist().index(digit) for digit in range(10)]  # the first test image of each digit
cls_maps = vit.cls_attention(test_images[examples])  # (10, 4, 4)
print("attention of [CLS] on the patches:", tuple(cls_maps.shape))


def show_attention(ax, image, attention_map):
    """The digit in grey, the 4x4 attention map stretched over it in red."""
    ax.imshow(image, cmap="gray_r")
    ax.imshow(attention_map, cmap="Reds", alpha=0.6, extent=(-0.5, 7.5, 7.5, -0.5))
    ax.axis("off")


fig, axes = plt.subplots(2, 10, figsize=(11, 2.6))
for k, index in enumerate(examples):
    axes[0, k].imshow(test_images[index, 0], cmap="gray_r")
    axes[0, k].axis("off")
    axes[0, k].set_title(DIGIT_NAMES[k], fontsize=9)
    show_attention(axes[1, k], test_images[index, 0], cls_maps[k])
fig.suptitle("top: test images; bottom: where [CLS] attends in the last layer (red = more weight)", fontsize=10)
plt.show()

# %% [markdown]
# The weight is not spread evenly: `[CLS]` reads some patches much more than others, and which ones
# depends on the digit. Attention is only part of the story (each patch token has already mixed with
# the others in the first layer), but these maps are a first, cheap look inside the model.
#
# The learned positions tell another story. We never told the model that patch 5 lies next to patch 6:
# it only saw 16 numbered slots. Below, each small square belongs to one patch and shows how similar its
# learned position vector is to those of all 16 patches, laid out on the grid.

# %%
positions = F.normalize(vit.embed.positions.detach()[1:], dim=-1)  # (16, d_model), [CLS]'s slot left out
position_similarity = positions @ positions.T  # (16, 16) cosine similarities
fig, axes = plt.subplots(4, 4, figsize=(4.6, 4.6))
for n, ax in enumerate(axes.flat):
    ax.imshow(position_similarity[n].reshape(4, 4), cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("similarity of each patch's position to all others", fontsize=10)
plt.show()

# %% [markdown]
# There is some structure: patches in the same column tend to get similar position vectors, so the
# model has started to discover the layout from the data alone. It is faint after 800 steps on 1,347
# images. The real ViT, trained on millions of images, learned position vectors that clearly reflect
# the rows and columns of its grid.

# %% [markdown]
# ## 3. CLIP: images and words in one space
#
# A classifier like our ViT knows exactly ten answers, fixed before training. CLIP (Radford et al., 2021)
# learned from 400 million images paired with the text found next to them on the web, with no class list
# at all. It has two encoders, or *towers*: an image encoder (a ViT) and a text encoder (a Transformer),
# each ending in a projection into one shared space of unit vectors.
#
# Training takes a batch of $B$ (image, caption) pairs and fills a $B \times B$ table of cosine similarities,
# image $i$ against caption $j$. The true pairs lie on the diagonal. The loss reads the table twice:
#
# - each **row** is a classification problem: which of the $B$ captions belongs to image $i$? (cross-entropy
#   with target $i$)
# - each **column** is one too: which of the $B$ images belongs to caption $j$?
#
# and averages the two. Before the softmax the similarities are divided by a **temperature** $\tau$
# (CLIP learns it, starting at 0.07): cosines live in $[-1, 1]$, and dividing by a small $\tau$ lets the
# softmax become confident.
#
# $$\text{logits}_{ij} = \frac{\cos(\text{image}_i, \text{text}_j)}{\tau}, \qquad
# \mathcal{L} = \tfrac12\Big(\text{CE}(\text{logits}, [0..B-1]) + \text{CE}(\text{logits}^\top, [0..B-1])\Big)$$
#
# Our captions are short sentences about the digit, in six phrasings:

# %%
tokenizer = utils.WordTokenizer([template.format(name) for template in CAPTION_TEMPLATES
                                             for name in DIGIT_NAMES])
captions = utils.caption_digits(train_labels[:6], torch.Generator().manual_seed(0))
for label, caption in zip(train_labels[:6].tolist(), captions):
    print(f"image of a {label}: {caption!r}")
print("vocabulary:", len(tokenizer), "words, including <pad>, <cls> and <unk>")
print("token ids of the first caption:", tokenizer.encode(captions[:1]).tolist()[0])


# %% [markdown]
# ### Exercise 3 — the symmetric contrastive loss [3 points]
# Implement `clip_loss(image_emb, text_emb, temperature)`. `image_emb` and `text_emb` are `(B, d)`, row $i$
# of each belonging to pair $i$; they are **not** necessarily unit length, so normalise them first
# (`F.normalize(x, dim=-1)`). Build the `(B, B)` logits, then average the cross-entropy over rows and the
# cross-entropy over columns (`F.cross_entropy` averages over the batch for you).

# %% nbgrader={"grade": false, "grade_id": "clip_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_loss(image_emb, text_emb, temperature=0.07):
    """image_emb (B, d), text_emb (B, d), matching rows -> scalar: mean of the image->text and text->image CE."""
    ### BEGIN SOLUTION
    logits = F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T / temperature  # (B, B)
    targets = torch.arange(logits.size(0))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_clip_loss", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_clip_loss", globals())  # first the checks grading runs (public inputs): they name typical mistakes
import math

eye = torch.eye(4, dtype=torch.float64)  # four perfect, orthogonal pairs
loss = clip_loss(eye, eye, 0.07)
assert loss.dim() == 0, f"the loss must be a scalar, got shape {tuple(loss.shape)}"
# Each row and column: the true pair scores 1 / 0.07, the three others 0.
assert abs(loss.item() - math.log(1 + 3 * math.exp(-1 / 0.07))) < 1e-9, loss.item()
assert clip_loss(eye, eye.flip(0), 0.07) > 10, "mismatched pairs must cost a lot"
print("clip_loss is near 0 for perfect pairs and large for swapped ones")
### BEGIN HIDDEN TESTS
for B, d, temperature in [(5, 8, 0.07), (9, 3, 1.0), (1, 4, 0.5), (16, 32, 0.2)]:
    image_emb = 4 * torch.randn(B, d, dtype=torch.float64)
    text_emb = 0.3 * torch.randn(B, d, dtype=torch.float64)
    torch.testing.assert_close(clip_loss(image_emb, text_emb, temperature),
                               utils.clip_loss(image_emb, text_emb, temperature))
image_emb = torch.randn(6, 4, requires_grad=True)
clip_loss(image_emb, torch.randn(6, 4), torch.tensor(0.1)).backward()  # a learned (tensor) temperature works too
assert image_emb.grad is not None and torch.isfinite(image_emb.grad).all()
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 4 — zero-shot prediction [2 points]
# After training, CLIP classifies an image without any classifier: write one caption per class (a
# *prompt*, such as "a photo of the number seven"), embed the prompts with the text tower, and pick the
# prompt most similar to the image. Implement `zero_shot_predict(image_emb, prompt_emb)`: `image_emb` is `(B, d)`,
# `prompt_emb` is `(K, d)` (one row per class), and the result is a `(B,)` tensor of class indices in
# `0 .. K-1`, chosen by **cosine** similarity (so a long prompt vector must not win just by being long).

# %% nbgrader={"grade": false, "grade_id": "zero_shot_predict", "locked": false, "schema_version": 3, "solution": true, "task": false}
def zero_shot_predict(image_emb, prompt_emb):
    """image_emb (B, d), prompt_emb (K, d) -> (B,) index of the most similar prompt (cosine)."""
    ### BEGIN SOLUTION
    similarity = F.normalize(image_emb, dim=-1) @ F.normalize(prompt_emb, dim=-1).T  # (B, K)
    return similarity.argmax(dim=-1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_zero_shot_predict", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_zero_shot_predict", globals())  # first the checks grading runs (public inputs): they name typical mistakes
image_emb = torch.tensor([[1.0, 0.1], [0.1, 1.0], [-1.0, 0.0]])
prompt_emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-0.6, -0.8]])  # three unit-length prompts
predicted = zero_shot_predict(image_emb, prompt_emb)
assert predicted.shape == (3,), f"expected one class per image, shape (3,), got {tuple(predicted.shape)}"
assert predicted.tolist() == [0, 1, 2], predicted.tolist()
print("each image picks its closest prompt")
### BEGIN HIDDEN TESTS
for B, K, d in [(50, 10, 8), (7, 3, 2), (1, 5, 16)]:
    image_emb = torch.randn(B, d)
    prompt_emb = torch.randn(K, d) * torch.rand(K, 1) * 10  # prompts of very different lengths
    expected = utils.zero_shot_predict(image_emb, prompt_emb)
    assert torch.equal(zero_shot_predict(image_emb, prompt_emb), expected)
    assert torch.equal(zero_shot_predict(3 * image_emb, prompt_emb), expected)
image_emb, prompt_emb = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, 1.0], [10.0, 0.0]])
assert zero_shot_predict(image_emb, prompt_emb).tolist() == [0], "the direction decides, not the length"
### END HIDDEN TESTS

# %% [markdown]
# `utils.CLIP` holds the two towers: the image tower is a `utils.ViT` whose head
# projects to a 32-dimensional shared space, and the text tower embeds words, adds learned positions,
# runs a `utils.Encoder` with a padding mask and reads its `<cls>` position. The temperature is learned
# too. Training uses the tested `utils.clip_loss`. Note what the model is *not* given: the
# labels are used only to write the captions, and the loss never sees a class number.

# %%
utils.seed_everything(0)
clip = utils.CLIP(len(tokenizer), image_size=8, patch_size=2, embed_dim=32, d_model=64, num_heads=4,
                              num_layers=2, d_ff=128)
print(f"CLIP: {sum(p.numel() for p in clip.parameters()):,} parameters in two towers")
pair_batches = torch.Generator().manual_seed(0)


def caption_batch(batch_size=64):
    i = torch.randint(0, len(train_labels), (batch_size,), generator=pair_batches)
    captions = utils.caption_digits(train_labels[i], generator=pair_batches)
    return train_images[i], tokenizer.encode(captions, length=8)


clip_history = utils.train(clip, caption_batch, lambda model, batch: model.loss(*batch), steps=400, lr=2e-3,
                           desc="CLIP")
print(f"loss: {clip_history.losses[0]:.1f} at the start -> {sum(clip_history.losses[-50:]) / 50:.1f} at the end")

# %% [markdown]
# (Why does the loss not fall to zero? A batch of 64 holds about six images of each digit, and their
# captions are interchangeable: "a scanned seven" fits every seven in the batch. The table cannot single
# out the one caption that was drawn for an image, so the loss stops near $\log 6 \approx 1.8$. Real CLIP
# has the same problem with duplicate captions, at a much smaller scale.)
#
# Now zero-shot classification of the test images. The prompt uses a phrasing that never appeared in
# training: "a photo of the number ...". The tokenizer has never seen the word "photo" (it becomes
# `<unk>`), so the text tower must rely on the word that matters.

# %%
PROMPT = "a photo of the number {}"
prompt_tokens = tokenizer.encode([PROMPT.format(name) for name in DIGIT_NAMES])
print("the tokenizer reads:", repr(tokenizer.decode(prompt_tokens[7])))
with torch.no_grad():
    test_image_emb = clip.encode_image(test_images)  # (450, 32), unit vectors
    prompt_emb = clip.encode_text(prompt_tokens)  # (10, 32)
zero_shot = utils.zero_shot_predict(test_image_emb, prompt_emb)
zero_shot_accuracy = (zero_shot == test_labels).float().mean().item()
print(f"zero-shot test accuracy with {PROMPT!r}: {zero_shot_accuracy:.2f} (chance: 0.10)")

# CLIP's trick: average the embeddings of several phrasings per class (a "prompt ensemble").
with torch.no_grad():
    ensemble = torch.stack([clip.encode_text(tokenizer.encode([template.format(name) for name in DIGIT_NAMES]))
                            for template in (PROMPT, *CAPTION_TEMPLATES)]).mean(dim=0)
ensemble_accuracy = (utils.zero_shot_predict(test_image_emb, ensemble) == test_labels).float().mean().item()
print(f"with an ensemble of {1 + len(CAPTION_TEMPLATES)} phrasings: {ensemble_accuracy:.2f}")

# %%
similarity = test_image_emb[examples] @ prompt_emb.T  # (10, 10): one test image per digit vs the 10 prompts
fig, ax = plt.subplots(figsize=(6.5, 5))
image = ax.imshow(similarity, cmap="viridis")
ax.set_xticks(range(10), [PROMPT.format(name) for name in DIGIT_NAMES], rotation=60, ha="right", fontsize=8)
ax.set_yticks(range(10), [f"test image: {name}" for name in DIGIT_NAMES], fontsize=8)
ax.set_title("cosine similarity, image vs prompt")
fig.colorbar(image, ax=ax, fraction=0.046)
plt.show()

# %% [markdown]
# The diagonal lights up: each image is closest to the prompt naming its digit. At this scale zero-shot
# CLIP is a slightly worse classifier than the ViT trained on labels, as the real CLIP was against the
# best supervised models of its day. What it gains is freedom: the classes are decided after training,
# by writing sentences. Zero-shot, the real CLIP matched the ImageNet accuracy of the classic ResNet-50
# classifier without using any of ImageNet's 1.28 million labelled training images.

# %% [markdown]
# ## 4. Whisper: sound as a sequence of frames
#
# Speech recognition maps a waveform (tens of thousands of numbers per second) to a short text. Whisper
# (Radford et al., 2022) does it with the encoder-decoder of lesson 04: the **encoder** reads the sound,
# the **decoder** writes the transcript one token at a time, cross-attending to the encoded sound.
#
# We have no recordings, so we make them. A telephone keypad dials each digit as two sine tones at once
# (DTMF, *dual-tone multi-frequency*): a low tone for the keypad's row, a high tone for its column. Our
# clips last 0.8 s and dial 2 to 4 digits, each for 60–110 ms with random loudness, detuned tones and
# pauses, all under loud background noise; the sample rate is 8 kHz, as on a telephone line.

# %%
print("digit: low tone + high tone (Hz)")
print("  ".join(f"{d}: {utils.DTMF_LOW[d]}+{utils.DTMF_HIGH[d]}" for d in "0123456789"))
NOISE = 0.5  # standard deviation of the background noise; the loudest tones have amplitude 0.5
wave = utils.synthesize_digits("2024", noise=NOISE, generator=torch.Generator().manual_seed(0))
print("one clip:", tuple(wave.shape), f"samples = {len(wave) / utils.SAMPLE_RATE} s at", utils.SAMPLE_RATE, "Hz")
fig, ax = plt.subplots(figsize=(9, 2.2))
ax.plot(torch.arange(len(wave)) / utils.SAMPLE_RATE, wave, linewidth=0.4)
ax.set_xlabel("time (s)")
ax.set_title("'2024' dialled under noise: can you see the four digits?")
plt.show()


# %% [markdown]
# In the raw waveform the digits hardly show. Their *frequencies* do. Our ears, and most speech
# recognisers, Whisper included, first measure how much energy each pitch carries over time: a
# **spectrogram**. Whisper's front end:
#
# 1. **Framing.** Cut the waveform into short overlapping frames: 25 ms long, one every 10 ms. Within
#    25 ms the sound barely changes, so each frame has a well-defined spectrum.
# 2. **Window and FFT.** Multiply each frame by a Hann window (it fades the edges, so the cut does not
#    add false frequencies), take its Fourier transform, keep the power $|X_k|^2$ of each frequency bin.
# 3. **Mel bands.** Pool the bins into bands that are narrow at low pitch and wide at high pitch, as our
#    hearing is (the *mel* scale).
# 4. **Log.** Loudness is heard on a log scale too: take $\log_{10}$, keep the top 8 decades (80 dB).
#
# ### Exercise 5 — framing [2 points]
# Implement `frame_signal(signal, frame_length, hop_length)`: cut the **last** axis of `samples`
# `(..., T)` into frames, returning `(..., n_frames, frame_length)`. Frame $f$ holds samples
# $f \cdot \text{hop}$ to $f \cdot \text{hop} + \text{frame\_length} - 1$; keep only whole frames, so
# $n_\text{frames} = 1 + \lfloor (T - \text{frame\_length}) / \text{hop} \rfloor$. Any leading axes (a
# batch of clips) are kept. Hint: slicing in a loop and `torch.stack(..., dim=-2)` works; so does
# `Tensor.unfold`.

# %% nbgrader={"grade": false, "grade_id": "frame_signal", "locked": false, "schema_version": 3, "solution": true, "task": false}
def frame_signal(samples, frame_length, hop_length):
    """(..., T) -> (..., n_frames, frame_length), n_frames = 1 + (T - frame_length) // hop_length."""
    ### BEGIN SOLUTION
    starts = range(0, samples.size(-1) - frame_length + 1, hop_length)
    return torch.stack([samples[..., s:s + frame_length] for s in starts], dim=-2)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_frame_signal", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
utils.checks.check("test_frame_signal", globals())  # first the checks grading runs (public inputs): they name typical mistakes
frames = frame_signal(torch.arange(10.0), 4, 2)
assert frames.shape == (4, 4), f"10 samples, frames of 4 every 2 -> (4, 4); got {tuple(frames.shape)}"
torch.testing.assert_close(frames, torch.tensor([[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9.0]]))
print("frames overlap by frame_length - hop_length samples")
### BEGIN HIDDEN TESTS
for shape, frame, hop in [((11,), 4, 2), ((3, 50), 8, 3), ((2, 2, 9), 9, 1), ((20,), 5, 5), ((4, 17), 3, 10)]:
    signal = torch.randn(shape)
    torch.testing.assert_close(frame_signal(signal, frame, hop), utils.frame_signal(signal, frame, hop))
### END HIDDEN TESTS

# %% [markdown]
# With 25 ms frames every 10 ms at 8 kHz (200 samples every 80), a 0.8-second clip gives 78 frames.
# Windowing each frame and taking its real FFT gives the power spectrogram; `torch.stft` does the same
# in one call, and `utils.power_spectrogram` uses it. We check that the two agree.

# %%
frames = utils.frame_signal(wave, 200, 80)  # (78, 200): 25 ms every 10 ms
window = torch.hann_window(200, periodic=True)
power = torch.fft.rfft(frames * window).abs() ** 2  # (78, 101): bins 0, 40, 80, ..., 4000 Hz
print("frames:", tuple(frames.shape), "-> power spectrum per frame:", tuple(power.shape))
reference = utils.power_spectrogram(wave, n_fft=200, hop_length=80)
relative = ((power - reference).abs().max() / reference.max()).item()
print(f"largest difference from torch.stft: {relative:.6f} of the peak (tolerance 0.0001)")

filters = utils.mel_filterbank(n_mels=40, n_fft=200, sample_rate=utils.SAMPLE_RATE)  # (101, 40)
log_mel = utils.log_mel_spectrogram(wave)  # (78, 40)
seconds = len(frames) / 100  # one frame every 10 ms: the time axis of the plots
print("mel filters:", tuple(filters.shape), "| log-mel spectrogram:", tuple(log_mel.shape))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), gridspec_kw={"width_ratios": [2, 3, 3]}, layout="constrained")
frequencies = torch.linspace(0, utils.SAMPLE_RATE / 2, 101)
axes[0].plot(frequencies, filters[:, ::3], linewidth=0.8)
axes[0].set_xlabel("frequency (Hz)")
axes[0].set_title("every third mel filter")
axes[1].imshow(torch.log10(power.T + 1e-6), origin="lower", aspect="auto", extent=(0, seconds, 0, 4000))
axes[1].set_xlabel("time (s)")
axes[1].set_ylabel("frequency (Hz)")
axes[1].set_title("power spectrogram (log colour scale)")
axes[2].imshow(log_mel.T, origin="lower", aspect="auto", extent=(0, seconds, 0, 40))
axes[2].set_xlabel("time (s)")
axes[2].set_ylabel("mel band")
axes[2].set_title("log-mel spectrogram: what the model reads")
plt.show()

# %% [markdown]
# Now the four digits stand out: two bright bars each, at the row and column tones. The model reads the
# log-mel spectrogram as a sequence of 78 vectors of 40 numbers, one per 10 ms.
#
# `utils.SpeechToText` is a tiny Whisper, built like the real one:
# - the **encoder** first standardises the clip, then runs two 1-D convolutions over time (the second
#   with stride 2, so 78 frames become 39 positions: half the attention cost), adds the sinusoidal
#   positions of lesson 04 and runs a pre-norm `utils.Encoder`;
# - the **decoder** is a `utils.Decoder` over characters, with a causal mask and learned positions; its
#   output layer reuses the character embedding matrix (weight tying, as in Whisper);
# - it is trained with teacher forcing (lesson 04) and transcribes by greedy decoding.
#
# We make 2,000 training clips and 200 held-out clips with their own random digit strings.

# %%
train_waves, train_texts = utils.make_digit_clips(2000, noise=NOISE, seed=1)
test_waves, test_texts = utils.make_digit_clips(200, noise=NOISE, seed=2)
front_end = utils.LogMelSpectrogram()  # 25 ms windows every 10 ms, 40 mel bands
train_mels, test_mels = front_end(train_waves), front_end(test_waves)
vocab = utils.CharVocab()
train_inputs, train_targets = vocab.encode(train_texts)
print("training clips:", tuple(train_mels.shape), "| transcripts:", train_texts[:4], "...")
print("decoder input :", train_inputs[0].tolist(), " (<bos> = 1, digits are 3..12)")
print("decoder target:", train_targets[0].tolist(), " (<eos> = 2, <pad> = 0)")

utils.seed_everything(0)
whisper = utils.SpeechToText(n_mels=40, vocab_size=len(vocab), d_model=64, num_heads=4, num_layers=2, d_ff=128)
print(f"mini Whisper: {sum(p.numel() for p in whisper.parameters()):,} parameters")
audio_batches = torch.Generator().manual_seed(0)


def audio_batch(batch_size=64):
    i = torch.randint(0, len(train_texts), (batch_size,), generator=audio_batches)
    return train_mels[i], train_inputs[i], train_targets[i]


whisper_history = utils.train(whisper, audio_batch, utils.transcript_loss, steps=300, lr=2e-3,
                              desc="Whisper")

# %% [markdown]
# Speech recognition is scored by the **character error rate** (CER; for words, the word error rate):
# the fewest character insertions, deletions and substitutions that turn the transcript into the
# reference (the edit distance), summed over the test set and divided by the number of reference
# characters. 0 is perfect; random guessing would be near 1.

# %%
predictions = whisper.transcribe(test_mels, vocab)
cer = utils.character_error_rate(predictions, test_texts)
exact = sum(p == t for p, t in zip(predictions, test_texts)) / len(test_texts)
print(f"character error rate on {len(test_texts)} held-out clips: {cer:.2f}")
print(f"clips transcribed exactly: {exact:.0%}")
for said, heard in list(zip(test_texts, predictions))[:6]:
    print(f"  dialled {said:>5}   transcribed {heard:>5}")

# %% [markdown]
# How does the decoder find the right digit? Below, the log-mel spectrogram of a test clip, and under it
# the **cross-attention** of the decoder's last layer (averaged over heads): one row per character it
# writes, one column per encoder position (20 ms each). Each row should light up where its digit sounds.

# %%
index = 3
inputs, _ = vocab.encode([test_texts[index]])
cross = whisper.cross_attention(test_mels[index:index + 1], inputs)[0]  # (characters, positions)
labels = [f"after {vocab.itos[i]}" for i in inputs[0].tolist()]
fig, (ax_mel, ax_cross) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
ax_mel.imshow(test_mels[index].T, origin="lower", aspect="auto", extent=(0, seconds, 0, 40))
ax_mel.set_ylabel("mel band")
ax_mel.set_title(f"test clip {index}: dialled {test_texts[index]!r}")
ax_cross.imshow(cross, aspect="auto", cmap="viridis", extent=(0, seconds, len(labels) - 0.5, -0.5))
ax_cross.set_yticks(range(len(labels)), labels)
ax_cross.set_xlabel("time (s)")
ax_cross.set_title("decoder cross-attention: the query that writes the next character")
plt.show()


# %% [markdown]
# This clip is one of the few the model gets wrong: dialled `23`, transcribed `21` (the fourth line of the
# table above), so compare the row that writes the second digit with the tones under it.
# The query after `<bos>` (which writes the first digit) looks at the first pair of tones, the next one
# at the second pair, and so on: the decoder has learned to move along the audio, the same alignment you
# saw between French and English in lesson 04. The last query, which writes `<eos>`, looks past the last
# digit: nothing more is dialled.
#
# ## 5. One image, two models
#
# Pick a test image. The middle panel is the ViT's `[CLS]` attention over it, with the ViT's prediction;
# the right panel shows how CLIP scores the ten prompts "a photo of the number ..." (cosine similarity
# of the image with each prompt; the highest wins).

# %%
def draw_digit(axes, index):
    ax_image, ax_attention, ax_scores = axes[0]
    image = test_images[index:index + 1]
    with torch.no_grad():
        vit_probs = vit(image).softmax(dim=-1)[0]
        scores = (clip.encode_image(image) @ prompt_emb.T)[0]  # cosine similarities: both are unit vectors
    attention_map = vit.cls_attention(image)[0]
    ax_image.imshow(image[0, 0], cmap="gray_r")
    ax_image.set_title(f"test image {index}: a {DIGIT_NAMES[test_labels[index]]}")
    ax_image.axis("off")
    show_attention(ax_attention, image[0, 0], attention_map)
    ax_attention.set_title(f"ViT: {DIGIT_NAMES[vit_probs.argmax()]} ({vit_probs.max():.0%}), [CLS] attention", fontsize=9)
    bars = ax_scores.barh(range(10), scores, color="tab:gray")
    bars[int(scores.argmax())].set_color("tab:orange")
    ax_scores.set_yticks(range(10), [PROMPT.format(name) for name in DIGIT_NAMES], fontsize=8)
    ax_scores.invert_yaxis()
    ax_scores.set_xlim(-1, 1)
    ax_scores.axvline(0, color="black", linewidth=0.5)
    ax_scores.set_title("CLIP zero-shot: cosine similarity", fontsize=9)


interactive_figure(draw_digit, figsize=(11, 3.2), axes=(1, 3),
                   index=IntSlider(value=0, min=0, max=len(test_labels) - 1, description="test image"))


# %% [markdown]
# ## 6. How big are the real ones?
#
# Same ideas, very different scale. The real models:
#
# - **ViT** (Dosovitskiy et al., 2020): 224×224 colour images in 16×16 patches, 196 tokens of 768
#   numbers; ViT-Base has 86 million parameters, ViT-Huge 632 million. It beat the best convolutional
#   networks only after pre-training on 300 million labelled images (Google's JFT-300M); trained on
#   ImageNet alone it did worse, for the reason we met above: it has to learn what a convolution knows
#   in advance.
# - **CLIP** (Radford et al., 2021): 400 million (image, text) pairs from the web, batches of 32,768 pairs
#   (a 32,768 × 32,768 similarity table per step), image towers up to ViT-L/14 and a Transformer text
#   tower; the ViT-L/14 model has about 430 million parameters in its two towers.
# - **Whisper** (Radford et al., 2022): 680,000 hours of transcribed audio in many languages, 16 kHz
#   audio, 80 mel bands (128 in large-v3, 2023), 30-second windows of 3,000 frames that the stride-2
#   convolution halves to 1,500 encoder positions; from 39 million (tiny) to 1.55 billion (large) parameters.
#   Its decoder also writes special tokens that choose the language and the task (transcribe or translate).

# %%
def count(model):
    return sum(p.numel() for p in model.parameters())


scale = {  # (parameters, training examples): ours, measured here, and the published figures
    "ViT": ((count(vit), len(train_labels)), (86e6, 300e6)),
    "CLIP": ((count(clip), len(train_labels)), (430e6, 400e6)),
    "Whisper": ((count(whisper), len(train_texts)), (1.55e9, 680_000 * 3600 / 30)),  # 30-s windows
}
print(f"{'':8} {'parameters (ours / real)':>30}   {'training examples (ours / real)':>34}")
for name, ((ours_p, ours_n), (real_p, real_n)) in scale.items():
    print(f"{name:8} {ours_p:>12,} / {real_p:>13,.0f}   {ours_n:>12,} / {real_n:>17,.0f}")
print("real: ViT-B/16 on JFT-300M, CLIP ViT-L/14 on 400M pairs, Whisper large on 680,000 hours (30-s windows)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharey=True, layout="constrained")
for ax, column, title in zip(axes, (0, 1), ("parameters", "training examples")):
    names = list(scale)
    ax.barh([n + " (ours)" for n in names], [scale[n][0][column] for n in names], color="tab:blue")
    ax.barh([n + " (real)" for n in names], [scale[n][1][column] for n in names], color="tab:orange")
    ax.set_xscale("log")
    ax.set_title(title + " (log scale)")
plt.show()

# %% [markdown]
# (For Whisper, an "example" above is a 30-second window; ours are 0.8-second clips.) The minis are three
# to four orders of magnitude smaller in parameters and four to six in data. Yet they are the same
# programs: patches or frames in, `utils.Encoder` and `utils.Decoder` in the middle, a loss that
# is cross-entropy in one form or another. The real ones add scale, careful data, and a great deal of
# engineering to train them on thousands of GPUs.

# %% [markdown]
# ## The real thing: ViT, CLIP and Whisper checkpoints in the course's models
#
# The minis above share their code with the real models: `utils.pipeline` with `model=` loads Google's
# ViT, OpenAI's CLIP and Whisper into the course's `ViT`, `CLIP` and `SpeechToText`. The differences
# are options of those classes: a bias on the patch projection, a LayerNorm before the encoder, CLIP's
# "quick GELU" and causal text tower read at its last token, Whisper's two convolutions in front of the
# encoder. The photo ships with scikit-learn, so it needs no download; Whisper transcribes
# `speech.wav` if you put one beside this notebook. With internet each checkpoint downloads once;
# offline the cell says so and the lesson goes on (its output is not compared by the tests).

# %%
# NBVAL_IGNORE_OUTPUT
import wave
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_sample_image

photo = Image.fromarray(load_sample_image("china.jpg"))


def real_pipeline(task, checkpoint):
    try:
        return utils.pipeline(task, model=checkpoint, device="cpu")
    except (ValueError, OSError, ImportError) as err:
        print(f"{task}: {checkpoint} is not available here ({type(err).__name__}); with internet it is "
              "downloaded once into the Hugging Face cache")


real_vit = real_pipeline("image-classification", "google/vit-base-patch16-224")
if real_vit:
    print("ViT:", [(r["label"], round(r["score"], 3)) for r in real_vit(photo, top_k=3)])
real_clip = real_pipeline("zero-shot-image-classification", "openai/clip-vit-base-patch32")
if real_clip:
    labels = ["a temple", "a cat", "a beach", "a city street at night"]
    print("CLIP:", [(r["label"], round(r["score"], 3)) for r in real_clip(photo, candidate_labels=labels)])
real_whisper = real_pipeline("automatic-speech-recognition", "openai/whisper-tiny")
if real_whisper:
    speech = Path("speech.wav")  # any mono 16-bit WAV at 16 kHz
    if speech.exists():
        with wave.open(str(speech)) as f:
            audio = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16).astype(np.float32) / 32768
            print("Whisper:", real_whisper({"raw": audio, "sampling_rate": f.getframerate()}))
    else:
        print("Whisper is loaded; put a 16 kHz mono WAV at speech.wav to transcribe it")

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
    subprocess.run([sys.executable, "-m", "tools.check", str(here / "07_beyond_text.ipynb")], cwd=check.parents[1])

# %% [markdown]
# ## Summary
#
# - **Anything that can be cut into a sequence of vectors can be read by a Transformer.** Images become
#   patches (ViT), sound becomes spectrogram frames (Whisper); the encoder and decoder are unchanged.
# - You wrote `patchify` and the `[CLS]` + learned positions step. A 2-layer ViT with 16 patch tokens
#   reached at least 97% test accuracy on handwritten digits in 800 steps, helped by shifted copies of
#   the images, since a Transformer has no built-in notion of neighbouring pixels. Its `[CLS]` token
#   attends to different patches for different digits.
# - You wrote CLIP's symmetric contrastive loss and zero-shot prediction. Trained only on (image,
#   caption) pairs, the mini CLIP classified test digits from prompts written after training, even with
#   a word it had never seen. Averaging several phrasings per class (a prompt ensemble, CLIP's own
#   trick) makes the answer depend less on the wording of one prompt.
# - You wrote the framing step of Whisper's front end; windowed FFTs, mel bands and a log turned dialled
#   digits into bright bars. An encoder-decoder transcribed held-out clips with a low character error
#   rate, and its cross-attention walked along the audio, digit by digit.
#
# ## Where to go next
#
# You have built, from a single attention step, the models that read and write text (lessons 02–06),
# images and sound (this lesson), and you have trained each one. **Next:** lesson 08 takes the 2017
# design to a modern LLM: a byte-level BPE tokenizer, RMSNorm, SwiGLU, rotary positions, grouped-query
# attention, top-p sampling, and a training loop you write yourself.
#
# **Experiment with what you have.**
# - ViT: remove the learned positions (zero them) or the shifts and retrain; try `patch_size=4` (4 tokens)
#   or `patch_size=1` (64 tokens) and compare accuracy and time.
# - CLIP: give the captions more to say (thick or thin strokes, from the amount of ink), and ask
#   zero-shot questions the labels never asked.
# - Whisper: make the noise louder, dial longer numbers than in training and watch the decoder fail to
#   generalise in length, or add a second kind of token (a `#` key) to the vocabulary.
#
# **Use the real models.** The Hugging Face `transformers` library, whose pipelines lesson 06 mirrored,
# has `ViTForImageClassification`, `CLIPModel` and `WhisperForConditionalGeneration`, and pipelines such
# as `pipeline("zero-shot-image-classification")` and `pipeline("automatic-speech-recognition")`. They
# download weights of hundreds of megabytes, so run them on your own machine, ideally with a GPU. Every
# module in `utils` also runs on a GPU (`utils.get_device()`).
#
# **Read the papers.** Vaswani et al. 2017, *Attention Is All You Need*; Devlin et al. 2018 (BERT) and
# Radford et al. 2018–2019 (GPT, GPT-2); Dosovitskiy et al. 2020, *An Image is Worth 16x16 Words*;
# Radford et al. 2021, *Learning Transferable Visual Models From Natural Language Supervision* (CLIP);
# Radford et al. 2022, *Robust Speech Recognition via Large-Scale Weak Supervision* (Whisper).
#
# **Where the field went.** Multimodal assistants put the two halves of this lesson together: an image
# encoder like your ViT turns a picture into patch tokens, and a GPT-style decoder (lesson 05) reads them
# alongside the words of a question. Scaling laws, instruction tuning and efficient attention for long
# inputs are the next topics to explore — with the same blocks you now know from the inside.
