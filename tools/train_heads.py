"""Train the models behind `utils.pipeline` and cache their weights (safetensors), ahead of time.

    python -m tools.train_heads                   # every model that has no weights yet, into the cache
    python -m tools.train_heads --force           # retrain them all
    python -m tools.train_heads course/gpt-pydoc  # one model
    python -m tools.train_heads --out utils/assets --force   # remake the weights committed with the course

The cache is $TRANSFORMERS_COURSE_CACHE, else ~/.cache/transformers-course; weights committed in
utils/assets count as present too (the cache is read first, so retrained weights take precedence).
`utils.pipeline` runs the
same recipes by itself the first time it needs a model that has no weights yet; this script only
does it ahead of time, with progress bars, and reports what each model scored on held-out data.
Each recipe is seeded: the same settings give the same model on the same machine.
"""
import argparse
import json
import time
from pathlib import Path

from utils import hub
from utils.runtime import cache_dir


def main(argv=None):
    trainable = [name for name, recipe in hub.MODELS.items() if recipe.train is not None]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", help=f"which models (default: all of {', '.join(trainable)})")
    parser.add_argument("--out", type=Path, default=None, help=f"folder for the weights (default: {cache_dir()})")
    parser.add_argument("--force", action="store_true", help="retrain even if the weights exist")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best one here)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in trainable]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(trainable)}")
    folder = cache_dir() if args.out is None else args.out
    for name in args.models or trainable:
        present = hub.candidate_paths(name) if args.out is None else [folder / hub.weights_filename(name)]
        existing = [p for p in present if p.is_file()]
        if existing and not args.force:
            print(f"{name}: already in {existing[0]} (--force retrains)")
            continue
        start = time.perf_counter()
        written = hub.train_model(name, progress=True, device=args.device, folder=folder)
        _, metadata = hub.read_weights(written)
        info = json.loads(metadata.get("info", "{}"))
        scores = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in info.items())
        size = written.stat().st_size / 1e6
        print(f"{name}: {scores} | {size:.1f} MB in {written} | {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
