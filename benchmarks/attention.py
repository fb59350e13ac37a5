"""Forward+backward time of utils modules divided by their PyTorch twins, measured in the same run.

    python -m benchmarks.attention [--device cuda] [--repeats 20]

A ratio of 1.00 means as fast as PyTorch's own module; the target is <= 1.05.
Runs are interleaved (ours, theirs, ours, ...) so that a busy machine slows both alike.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

import utils


def fwd_bwd_seconds(module, x, call, repeats, device):
    def once():
        if x.grad is not None:
            x.grad = None
        call(module, x).sum().backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elif device.type == "mps":
            torch.mps.synchronize()

    for _ in range(3):  # warm-up: allocator, kernels, autotuning
        once()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return times


def compare(ours, theirs, call_ours, call_theirs, x, repeats, device):
    """Median time of ours / median time of theirs, interleaving rounds of 5 repeats."""
    t_ours, t_theirs = [], []
    for _ in range(max(1, repeats // 5)):
        t_ours += fwd_bwd_seconds(ours, x, call_ours, 5, device)
        t_theirs += fwd_bwd_seconds(theirs, x, call_theirs, 5, device)
    return statistics.median(t_ours), statistics.median(t_theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: utils.get_device())")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--lengths", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    args = parser.parse_args()
    device = torch.device(args.device) if args.device else utils.get_device()
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(0)
    d, h = args.d_model, args.heads

    print(f"device={device.type} dtype={args.dtype} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"{'module':<14}{'B':>4}{'L':>6}{'d':>6}{'heads':>6}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}")
    for L in args.lengths:
        x = torch.randn(args.batch, L, d, device=device, dtype=dtype, requires_grad=True)
        pairs = [
            ("attention",
             utils.MultiHeadAttention(d, h), nn.MultiheadAttention(d, h, batch_first=True),
             lambda m, t: m(t, t, t), lambda m, t: m(t, t, t, need_weights=False)[0]),
            ("encoder layer",
             utils.EncoderLayer(d, h, 4 * d, dropout=0.0),
             nn.TransformerEncoderLayer(d, h, 4 * d, dropout=0.0, batch_first=True),
             lambda m, t: m(t), lambda m, t: m(t)),
        ]
        for name, ours, theirs, call_ours, call_theirs in pairs:
            ours, theirs = ours.to(device, dtype).train(), theirs.to(device, dtype).train()
            a, b = compare(ours, theirs, call_ours, call_theirs, x, args.repeats, device)
            print(f"{name:<14}{args.batch:>4}{L:>6}{d:>6}{h:>6}{a * 1e3:>10.2f}{b * 1e3:>10.2f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
