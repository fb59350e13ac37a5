"""Train the course's French -> English translator and measure it.

    python benchmarks/translator.py [--seed 0] [--steps 300] [--threads N] [--device cuda]

Prints the training time, the exact-match accuracy (whole sentence right) on the held-out
sentences for greedy decoding and beam search, and how many sentences per second each decodes.
The target: >= 99% exact match after < 60 s of training on a 2-core laptop CPU.
"""
import argparse
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
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    translator = train_translator(seed=args.seed, steps=args.steps, device=device, progress=False)
    model = translator.model
    print(f"device={device.type} threads={torch.get_num_threads()} torch={torch.__version__}")
    print(f"corpus: {len(translator.train_pairs)} training / {len(translator.test_pairs)} held-out sentences "
          f"(the grammar has {grammar_size():,}); vocab fr {len(translator.src_vocab)} "
          f"en {len(translator.tgt_vocab)}")
    print(f"model: {sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"training: {args.steps} steps in {translator.history.seconds:.1f} s, "
          f"final loss {translator.history.losses[-1]:.4f}")
    for method in ("greedy", "beam"):
        score, speed = decoding_speed(translator, method, args.batch, args.beam_size)
        label = method if method == "greedy" else f"beam (size {args.beam_size})"
        print(f"{label:<16} exact match {100 * score:6.2f}%   {speed:8.0f} sentences/s")
    for french, english in translator.test_pairs[:3]:
        print(f"  {french}  ->  {translator(french, method='beam')}   (reference: {english})")


if __name__ == "__main__":
    main()
