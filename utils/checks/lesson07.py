"""Checks of lesson 07's exercises (patches, positions, CLIP's loss, zero-shot, spectrograms).

Checks of lesson 07's exercises: patchify, [CLS] + positions, CLIP's symmetric loss, zero-shot
prediction, framing a signal."""
import torch
import torch.nn.functional as F

from ..clip import clip_loss, zero_shot_predict
from ..spectrogram import frame_signal
from ..vit import add_cls_and_positions, patchify
from .compare import expect_tensor
from .core import CheckFailed, Exercise, randn, register



# --- patchify ----------------------------------------------------------------------------------------------

def _patchify_cases(g):
    cases = [{"images": torch.arange(16.0).reshape(1, 1, 4, 4), "patch_size": 2}]
    for shape, p in [((2, 1, 8, 8), 2), ((3, 3, 12, 8), 4), ((1, 2, 6, 9), 3), ((4, 3, 5, 5), 1), ((2, 3, 4, 4), 4),
                     ((2, 3, 6, 4), 2)]:
        cases.append({"images": randn(g, *shape), "patch_size": p})
    return cases


def _patchify_judge(got, case):
    x, p = case["images"], case["patch_size"]
    B, C, H, W = x.shape
    n, size = (H // p) * (W // p), C * p * p
    grid = x.reshape(B, C, H // p, p, W // p, p)
    mistakes = [
        (x.reshape(B, n, size), "the wrong reshape order: a reshape alone, without permute, mixes pixels of "
         "different patches; split H and W into (grid, p), permute the grid axes forward, then reshape"),
        (x.reshape(B, C, n, p * p).transpose(1, 2).reshape(B, n, size) if H % p == 0 else None,
         "the wrong reshape order: reshaping (C, H, W) into (C, N, p*p) takes runs of p*p consecutive pixels, "
         "not p x p squares; split H and W separately"),
        (grid.permute(0, 2, 4, 3, 5, 1).reshape(B, n, size), "inside a patch the channel comes first "
         "(channel, row, column): permute to (B, H/p, W/p, C, p, p)"),
        (grid.permute(0, 4, 2, 1, 3, 5).reshape(B, n, size), "the patches are in column order: reading order is "
         "left to right along a grid row, then the next row (grid rows before grid columns)"),
        (grid.permute(0, 2, 4, 1, 5, 3).reshape(B, n, size), "inside a patch the pixels are in column order: "
         "row, then column (permute (..., C, p_row, p_col))"),
        (x.reshape(B, C, p, H // p, p, W // p).permute(0, 3, 5, 1, 2, 4).reshape(B, n, size),
         "each patch gathers pixels spread over the image: split H into (H/p, p), the grid index first, "
         "so that a patch is a block of p x p neighbouring pixels"),
    ]
    expect_tensor(got, patchify(x, p), "the patches", "(B, N, C*p*p)",
                  [(w, m) for w, m in mistakes if w is not None])


register(Exercise(
    test="test_patchify", names=("patchify",), cases=_patchify_cases,
    call=lambda f, c: f(c["images"], c["patch_size"]), judge=_patchify_judge,
    forbidden=("patchify", "unfold", "PatchEmbedding", "einops", "rearrange"),
    on_error=lambda case, error: f"expected shape {tuple(patchify(case['images'], case['patch_size']).shape)} "
    "(B, N, C*p*p); reshape needs the sizes H // p and W // p (integers)"))


# --- add_cls_and_positions ------------------------------------------------------------------------------------

def _cls_cases(g):
    cases = [{"tokens": torch.zeros(1, 3, 2), "cls_token": torch.tensor([5.0, 5.0]),
              "positions": torch.tensor([[0.0, 0.1], [1.0, 1.1], [2.0, 2.1], [3.0, 3.1]]),
              "weights": torch.ones(1, 4, 2)}]
    for B, N, d in [(4, 16, 8), (2, 1, 3), (7, 5, 6), (3, 4, 4)]:
        cases.append({"tokens": randn(g, B, N, d), "cls_token": randn(g, d), "positions": randn(g, N + 1, d),
                      "weights": randn(g, B, N + 1, d)})
    return cases


def _cls_call(f, case):
    cls_token = case["cls_token"].clone().requires_grad_(True)
    positions = case["positions"].clone().requires_grad_(True)
    out = f(case["tokens"], cls_token, positions)
    grads = [None, None]
    if isinstance(out, torch.Tensor) and out.requires_grad and out.shape == case["weights"].shape:
        cls_grad, pos_grad = torch.autograd.grad((out * case["weights"]).sum(), [cls_token, positions],
                                                 allow_unused=True)
        grads = [cls_grad, pos_grad]
    return {"out": out, "cls_grad": grads[0], "positions_grad": grads[1],
            "requires_grad": bool(isinstance(out, torch.Tensor) and out.requires_grad)}


def _cls_judge(got, case):
    tokens, cls_token, positions, w = case["tokens"], case["cls_token"], case["positions"], case["weights"]
    B, N, d = tokens.shape
    cls = cls_token.reshape(1, 1, d).expand(B, 1, d)
    mistakes = [
        (torch.cat([cls, tokens + positions[1:]], dim=1), "[CLS] got no position: add positions to all N + 1 slots, "
         "[CLS]'s slot included (after the concatenation)"),
        (torch.cat([tokens, cls], dim=1) + positions, "[CLS] was put at the end: it goes in front (slot 0)"),
        (torch.cat([cls, tokens], dim=1), "the positions are missing: add positions to every slot"),
        (torch.cat([cls, tokens], dim=1) + positions[:1],
         "only positions[0] was added: add the whole (N + 1, d) table"),
    ]
    expect_tensor(got["out"], add_cls_and_positions(tokens, cls_token, positions), "the output", "(B, N + 1, d)",
                  mistakes)
    if not got["requires_grad"] or got["cls_grad"] is None or got["positions_grad"] is None:
        raise CheckFailed("no gradient reaches cls_token and positions: keep the computation differentiable "
                          "(torch.cat and +; no torch.tensor(...), .detach(), .data or in-place writes)")
    expect_tensor(got["cls_grad"], w[:, 0].sum(0), "the gradient of cls_token", "(d,)",
                  [(w[0, 0], "cls_token's gradient comes from one image only: "
                    "the same vector is used by all B images")])
    expect_tensor(got["positions_grad"], w.sum(0), "the gradient of positions", "(N + 1, d)")


register(Exercise(
    test="test_add_cls_and_positions", names=("add_cls_and_positions",), cases=_cls_cases,
    call=_cls_call, judge=_cls_judge, forbidden=("add_cls_and_positions", "PatchEmbedding"),
    on_error=lambda case, error: "put the same [CLS] vector in front of EVERY image: reshape it to (1, 1, d) and "
    "expand (or repeat) it to (B, 1, d) before torch.cat along dim 1; no in-place writes into the parameters"
    if ("size" in error.lower() or "in-place" in error.lower() or "leaf" in error.lower()) else ""))


# --- clip_loss ----------------------------------------------------------------------------------------------------

def _clip_cases(g):
    eye = torch.eye(4, dtype=torch.float64)
    cases = [{"image_emb": eye, "text_emb": eye, "temperature": 0.07, "grad": False},
             {"image_emb": eye, "text_emb": eye.flip(0), "temperature": 0.07, "grad": False}]
    for B, d, t in [(5, 8, 0.07), (9, 3, 1.0), (1, 4, 0.5), (16, 32, 0.2), (6, 6, 0.1)]:
        cases.append({"image_emb": randn(g, B, d, scale=4.0, dtype=torch.float64),
                      "text_emb": randn(g, B, d, scale=0.3, dtype=torch.float64), "temperature": t, "grad": False})
    cases.append({"image_emb": randn(g, 6, 4), "text_emb": randn(g, 6, 4), "temperature": torch.tensor(0.1),
                  "grad": True, "note": "a tensor temperature, with a gradient"})
    return cases


def _clip_call(f, case):
    image_emb = case["image_emb"].clone().requires_grad_(case["grad"])
    loss = f(image_emb, case["text_emb"], case["temperature"])
    grad = None
    if case["grad"] and isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
        grad = torch.autograd.grad(loss.sum(), image_emb, allow_unused=True)[0]
    return {"loss": loss, "grad": grad}


def _ce_both(logits):
    targets = torch.arange(logits.size(0))
    return F.cross_entropy(logits, targets), F.cross_entropy(logits.T, targets)


def _clip_judge(got, case):
    i, t, temp = case["image_emb"], case["text_emb"], case["temperature"]
    temp = float(temp)
    unit = F.normalize(i, dim=-1) @ F.normalize(t, dim=-1).T
    rows, cols = _ce_both(unit / temp)
    raw_rows, raw_cols = _ce_both(i @ t.T / temp)
    wrong_axis = _ce_both(F.normalize(i, dim=0) @ F.normalize(t, dim=0).T / temp)
    times = _ce_both(unit * temp)
    mistakes = [((raw_rows + raw_cols) / 2, "the embeddings are not normalised: cosine similarity needs "
                 "F.normalize(x, dim=-1) on both before the product (an unnormalised CLIP loss)"),
                (rows, "only the image -> text direction (rows): CLIP's loss is symmetric, average it with the "
                 "text -> image cross-entropy over the columns (logits.T)"),
                (cols, "only the text -> image direction (columns): average it with the image -> text "
                 "cross-entropy over the rows"),
                (rows + cols, "the two cross-entropies are summed: take their mean (divide by 2)"),
                ((wrong_axis[0] + wrong_axis[1]) / 2, "normalised along the batch (dim 0): normalise each "
                 "embedding, dim=-1"),
                ((times[0] + times[1]) / 2, "the similarities were multiplied by the temperature: divide by it")]
    loss = got["loss"]
    if isinstance(loss, torch.Tensor) and loss.dim() != 0 and loss.numel() == 1:
        raise CheckFailed(f"the loss must be a scalar (shape ()), got shape {tuple(loss.shape)}")
    expect_tensor(loss.double() if isinstance(loss, torch.Tensor) else loss,
                  clip_loss(i, t, case["temperature"]).double(),
                  "the loss", "(a scalar)", [(m.double(), msg) for m, msg in mistakes], atol=1e-5, rtol=1e-5)
    if case["grad"]:
        if got["grad"] is None or not torch.isfinite(got["grad"]).all():
            raise CheckFailed("no finite gradient reaches the image embeddings: keep the loss differentiable "
                              "(no .item(), .detach() or torch.tensor(...) on the way)")


register(Exercise(
    test="test_clip_loss", names=("clip_loss",), cases=_clip_cases, call=_clip_call, judge=_clip_judge,
    forbidden=("clip_loss", "contrastive"),
    on_error=lambda case, error: "the targets of both cross-entropies are torch.arange(B): pair i sits on the "
    "diagonal" if "target" in error.lower() else ""))


# --- zero_shot_predict -------------------------------------------------------------------------------------------

def _zs_cases(g):
    cases = [{"image_emb": torch.tensor([[1.0, 0.1], [0.1, 1.0], [-1.0, 0.0]]),
              "prompt_emb": torch.tensor([[1.0, 0.0], [0.0, 1.0], [-0.6, -0.8]])}]
    for B, K, d in [(50, 10, 8), (7, 3, 2), (1, 5, 16), (6, 6, 4), (12, 4, 3)]:
        image = randn(g, B, d)
        prompts = randn(g, K, d) * (0.1 + 10 * torch.rand(K, 1, generator=g))  # prompts of very different lengths
        cases.append({"image_emb": image, "prompt_emb": prompts})
        cases.append({"image_emb": 3 * image, "prompt_emb": prompts, "note": "the images scaled by 3"})
    cases.append({"image_emb": torch.tensor([[1.0, 1.0]]), "prompt_emb": torch.tensor([[1.0, 1.0], [10.0, 0.0]]),
                  "note": "a long prompt in another direction"})
    return cases


def _zs_judge(got, case):
    image, prompts = case["image_emb"], case["prompt_emb"]
    cos = F.normalize(image, dim=-1) @ F.normalize(prompts, dim=-1).T
    mistakes = [((image @ prompts.T).argmax(dim=-1), "a raw dot product picks long prompt vectors: compare "
                 "directions, by cosine similarity (F.normalize both, dim=-1, before the product)"),
                (cos.argmax(dim=0), "the argmax ran over the wrong axis (the images): one class per image, so take "
                 "the argmax over the prompts, dim=-1 of the (B, K) similarities"),
                (cos.argmin(dim=-1), "argmin picks the LEAST similar prompt: take the argmax"),
                ((F.normalize(image, dim=0) @ F.normalize(prompts, dim=0).T).argmax(dim=-1),
                 "normalised along the wrong axis (dim 0): normalise each embedding, dim=-1")]
    if isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape == cos.shape:
        raise CheckFailed("these are the similarities: return the index of the best prompt for each image (argmax)")
    expect_tensor(got, zero_shot_predict(image, prompts), "the predicted classes", "(B,)", mistakes,
                  dtype_kind="integer")


register(Exercise(
    test="test_zero_shot_predict", names=("zero_shot_predict",), cases=_zs_cases,
    call=lambda f, c: f(c["image_emb"], c["prompt_emb"]), judge=_zs_judge,
    forbidden=("zero_shot_predict", "contrastive")))


# --- frame_signal ---------------------------------------------------------------------------------------------------

def _frame_cases(g):
    cases = [{"signal": torch.arange(10.0), "frame_length": 4, "hop_length": 2}]
    for shape, frame, hop in [((11,), 4, 2), ((3, 50), 8, 3), ((2, 2, 9), 9, 1), ((20,), 5, 5), ((4, 17), 3, 10),
                              ((2, 40), 6, 4), ((13,), 4, 3)]:
        cases.append({"signal": randn(g, *shape), "frame_length": frame, "hop_length": hop})
    return cases


def _frame_judge(got, case):
    x, frame, hop = case["signal"], case["frame_length"], case["hop_length"]
    ref = frame_signal(x, frame, hop)
    n = ref.size(-2)
    mistakes = [(ref[..., :-1, :] if n > 1 else None, "one frame too few: n_frames = 1 + (T - frame_length) // "
                 "hop_length; the last start is T - frame_length, so range(0, T - frame_length + 1, hop)"),
                (x.unfold(0, frame, hop) if x.dim() > 1 and x.size(0) >= frame else None,
                 "the frames were cut along the first axis: cut the LAST axis (the time axis); "
                 "leading axes are a batch"),
                (ref.movedim(-2, 0) if x.dim() > 1 else None,
                 "the frame axis came first: stack along dim=-2 so the result is (..., n_frames, frame_length)")]
    expect_tensor(got, ref, "the frames", "(..., n_frames, frame_length)",
                  [(w, m) for w, m in mistakes if w is not None])


def _frame_hint(case, error):
    T, frame, hop = case["signal"].size(-1), case["frame_length"], case["hop_length"]
    n = 1 + (T - frame) // hop
    if "dimension 0" in error and case["signal"].dim() > 1:
        return "the frames were cut along the first axis: cut the LAST axis (the time axis), dim=-1"
    if "stack" in error or "size" in error:
        return (f"expected {n} whole frames of {frame} samples (1 + ({T} - {frame}) // {hop}); a frame that runs past "
                "the end is shorter: keep only whole frames (an off-by-one in the number of frames?)")
    return ""


register(Exercise(
    test="test_frame_signal", names=("frame_signal",), cases=_frame_cases,
    call=lambda f, c: f(c["signal"], c["frame_length"], c["hop_length"]), judge=_frame_judge,
    forbidden=("frame_signal", "stft", "as_strided"), on_error=_frame_hint))
