"""Train the course's French -> English translator and measure it.

    python -m benchmarks.translator [--seed 0] [--steps 300] [--threads N] [--device cuda] [--json out.json]

Prints (and with --json records) the training time, the exact-match accuracy (whole sentence right) on the held-out
sentences for greedy decoding and beam search, and how many sentences per second each decodes.
The target: >= 99% exact match after < 60 s of training on a 2-core laptop CPU.
"""
import argparse
import json
import platform
import time

import torch

from utils.data import grammar_size
from utils.translator import exact_match, train_translator


def decoding_speed(translator, method, batch_size, beam_size):
    """Held-out exact match and sentences per second for one decoding method."""
    start = time.perf_counter()
    score = exact_match(translator.model, translator.test_pairs, translator.src_vocab, translator.tgt_vocab,
                        method=method, batch_size=batch_size, beam_size=beam_size)
    return score, len(translator.test_pairs) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: PyTorch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--batch", type=int, default=256, help="sentences per decoding batch")
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--json", default=None, help="also write the measurements to this JSON file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    cpu_start = time.process_time()
    translator = train_translator(seed=args.seed, steps=args.steps, device=device, progress=False)
    cpu_seconds = time.process_time() - cpu_start  # all threads; on a busy machine wall time overstates the cost
    model = translator.model
    print(f"device={device.type} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"corpus: {len(translator.train_pairs)} training / {len(translator.test_pairs)} held-out sentences "
          f"(the grammar has {grammar_size():,}); vocab fr {len(translator.src_vocab)} "
          f"en {len(translator.tgt_vocab)}")
    print(f"model: {sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"training: {args.steps} steps in {translator.history.seconds:.1f} s "
          f"({cpu_seconds:.1f} s of CPU time, corpus included), final loss {translator.history.losses[-1]:.4f}")
    record = {"device": device.type, "threads": torch.get_num_threads(), "torch": torch.__version__,
              "cpu": platform.processor() or platform.machine(), "seed": args.seed, "steps": args.steps,
              "train_seconds": round(translator.history.seconds, 2), "train_cpu_seconds": round(cpu_seconds, 2),
              "final_loss": translator.history.losses[-1], "decoding": {}}
    for method in ("greedy", "beam"):
        score, speed = decoding_speed(translator, method, args.batch, args.beam_size)
        label = method if method == "greedy" else f"beam (size {args.beam_size})"
        print(f"{label:<16} exact match {100 * score:6.2f}%   {speed:8.0f} sentences/s")
        record["decoding"][method] = {"exact_match": score, "sentences_per_second": round(speed)}
    met = translator.history.seconds < 60 and min(d["exact_match"] for d in record["decoding"].values()) >= 0.99
    record["target_met"] = met
    print(f"target (>= 99% held-out exact match, training < 60 s): {'met' if met else 'NOT met'}")
    for french, english in translator.test_pairs[:3]:
        print(f"  {french}  ->  {translator(french, method='beam')}   (reference: {english})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
