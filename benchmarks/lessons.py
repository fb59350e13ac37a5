"""How long each lesson takes to run top to bottom, on an idle CPU and beside a competing CPU-bound process.

    python benchmarks/lessons.py                     # every lesson, both conditions
    python benchmarks/lessons.py 04_full_transformer --only idle

Each lesson (its instructor version, with the answers) runs in a fresh kernel in a temporary copy of
its folder, exactly as a learner runs it; the committed notebook is not touched. "busy" starts one
process that spins on one core for the whole run, like a second notebook or a grader on a laptop.
Targets (README): every lesson <= 60 s idle and <= 120 s busy; the whole course <= 300 s idle.
"""
import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"idle": 60, "busy": 120}
COURSE_TARGET = 300


def spin():
    while True:
        pass


def run_lesson(lesson):
    """Seconds to execute solutions/<lesson>/<lesson>.ipynb in a temporary copy of its folder."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / lesson
        shutil.copytree(REPO / "solutions" / lesson, folder)
        nb = nbformat.read(folder / f"{lesson}.ipynb", as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        return time.perf_counter() - start


def measure(lessons, condition):
    competitor = None
    if condition == "busy":
        competitor = multiprocessing.Process(target=spin, daemon=True)
        competitor.start()
    try:
        return {lesson: run_lesson(lesson) for lesson in lessons}
    finally:
        if competitor is not None:
            competitor.terminate()


def main():
    all_lessons = sorted(p.parent.name for p in REPO.glob("solutions/*/*.ipynb") if p.stem == p.parent.name)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", default=all_lessons)
    parser.add_argument("--only", choices=sorted(TARGETS), help="measure one condition only")
    args = parser.parse_args()
    conditions = [args.only] if args.only else ["idle", "busy"]
    results = {}
    for condition in conditions:
        results[condition] = {}
        for lesson in args.lessons:
            results[condition].update(measure([lesson], condition))
            print(f"  {condition:4} {lesson:26} {results[condition][lesson]:6.1f} s", file=sys.stderr, flush=True)

    print(f"\n{'lesson':26}" + "".join(f"{c + ' (s)':>12}" for c in conditions) + "   targets: "
          + ", ".join(f"{c} <= {TARGETS[c]} s" for c in conditions))
    failed = []
    for lesson in args.lessons:
        row = f"{lesson:26}"
        for condition in conditions:
            seconds = results[condition][lesson]
            ok = seconds <= TARGETS[condition]
            failed += [] if ok else [f"{lesson} {condition}"]
            row += f"{seconds:11.1f}{' ' if ok else '!'}"
        print(row)
    totals = {c: sum(results[c].values()) for c in conditions}
    print(f"{'whole course':26}" + "".join(f"{totals[c]:11.1f} " for c in conditions))
    if "idle" in totals and set(args.lessons) == set(all_lessons):
        print(f"whole course idle: {totals['idle']:.0f} s (target <= {COURSE_TARGET} s)")
        if totals["idle"] > COURSE_TARGET:
            failed.append("whole course idle")
    print("targets met" if not failed else f"over target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
