"""Execute lesson notebooks in place, so that their committed outputs are the ones nbval checks.

    python -m tools.run_lesson solutions/01_why_transformers/01_why_transformers.ipynb [...]
    python -m tools.run_lesson --all

Each notebook runs in its own folder, as JupyterLab and nbval run it, and the time it took is printed
(every lesson must finish in under two minutes on a 2-core CPU).
"""
import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def run(path, timeout=600):
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    print(f"{path}: {seconds:.1f} s")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook paths")
    parser.add_argument("--all", action="store_true", help="every lesson in solutions/")
    args = parser.parse_args()
    paths = sorted(REPO.glob("solutions/*/*.ipynb")) if args.all else args.notebooks
    if not paths:
        parser.error("name notebooks, or --all")
    for path in paths:
        run(path)


if __name__ == "__main__":
    main()
