"""Held-out loss of lesson 08's modern GPT vs lesson 05's 2017-style GPT vs nanoGPT, trained alike.

    python -m benchmarks.modern_gpt [--nanogpt PATH/TO/nanoGPT/model.py] [--steps 300] [--seeds 0 1]

Same data (the stdlib corpus, the shipped checkpoint's byte-level BPE), the same loop (utils.train:
AdamW, warm-up + cosine, clipping at 1), the same optimiser steps, batches and learning rate, and
about the same number of parameters (the modern model's SwiGLU width is chosen to match). nanoGPT's
model.py is imported from the path you give (a checkout of github.com/karpathy/nanoGPT); it is never
copied into the course. Without --nanogpt that column is skipped.
"""
import argparse
import importlib.util
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import utils
from utils.batching import blocks_at, lm_batches
from utils.modern import ModernGPT
from utils.modern_lm import ASSET, load_modern_gpt, modern_gpt_data


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def load_nanogpt(path):
    """nanoGPT's GPT and GPTConfig from the model.py at `path` (a file, or a checkout containing it)."""
    path = Path(path)
    path = path / "model.py" if path.is_dir() else path
    if not path.exists():
        raise SystemExit(f"--nanogpt: no model.py at {path}")
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GPT, module.GPTConfig


def logits_of(model, x):
    out = model(x, torch.zeros_like(x)) if getattr(model, "is_nanogpt", False) else model(x)
    return out[0] if isinstance(out, tuple) else out  # nanoGPT returns (logits, loss); with targets: all positions


def loss_fn(model, batch):
    x, y = batch
    return F.cross_entropy(logits_of(model, x).flatten(0, 1), y.flatten())


@torch.no_grad()
def held_out(model, val_ids, block_size, max_blocks=200):
    model.eval()
    starts = torch.arange(0, len(val_ids) - block_size, block_size)[:max_blocks]
    total = count = 0
    for chunk in starts.split(32):
        x, y = blocks_at(val_ids, chunk, block_size)
        total += F.cross_entropy(logits_of(model, x).flatten(0, 1), y.flatten(), reduction="sum").item()
        count += y.numel()
    return total / count


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nanogpt", help="path to nanoGPT's model.py (or the checkout holding it)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--block-size", type=int, default=128)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = ap.parse_args()
    utils.configure_threads()

    tok = load_modern_gpt()[1] if ASSET.exists() else utils.ByteBPE.train(utils.stdlib_corpus(), 1024)
    data = modern_gpt_data(tok)
    V, T, d, L, H = tok.vocab_size, args.block_size, args.d_model, args.layers, args.heads
    d_ff = 4 * d  # the 2017 design's width; nanoGPT's is fixed at 4 * n_embd too

    def old():
        return utils.GPT(V, T, d, H, L, d_ff)

    target = n_params(old())
    modern_ff = min(range(d, 8 * d), key=lambda f: abs(n_params(ModernGPT(V, T, d, H, L, f, args.kv_heads)) - target))

    def modern():
        return ModernGPT(V, T, d, H, L, modern_ff, num_kv_heads=args.kv_heads)

    builders = {"modern GPT (RMSNorm, RoPE, GQA, SwiGLU)": modern, "2017-style GPT (lesson 05)": old}
    if args.nanogpt:
        GPT, GPTConfig = load_nanogpt(args.nanogpt)

        def nano():
            model = GPT(GPTConfig(block_size=T, vocab_size=V, n_layer=L, n_head=H, n_embd=d, dropout=0.0, bias=True))
            model.is_nanogpt = True
            return model

        builders["nanoGPT model.py"] = nano
    else:
        print("nanoGPT: skipped (give --nanogpt PATH/model.py)")

    print(f"data: {len(data.train_ids):,} train / {len(data.val_ids):,} held-out tokens, vocab {V}; "
          f"{args.steps} steps x {args.batch_size} x {T} tokens, lr {args.lr}, seeds {args.seeds}")
    print(f"{'model':42s} {'params':>9s} {'held-out loss':>14s} {'s/step':>7s}")
    for name, build in builders.items():
        losses, secs = [], 0.0
        for seed in args.seeds:
            utils.seed_everything(seed)
            model = build()
            history = utils.train(model, lm_batches(data.train_ids, T, args.batch_size, seed=seed), loss_fn,
                                  args.steps, lr=args.lr, weight_decay=0.1, desc=name[:20])
            losses.append(held_out(model, data.val_ids, T))
            secs += history.seconds
        mean = sum(losses) / len(losses)
        spread = f" ± {(max(losses) - min(losses)) / 2:.3f}" if len(losses) > 1 else ""
        print(f"{name:42s} {n_params(model):9,d} {mean:9.3f}{spread:>5s} {secs / args.steps / len(args.seeds):7.2f}",
              flush=True)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)")
