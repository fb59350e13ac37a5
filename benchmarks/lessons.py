"""How long each lesson takes to run top to bottom, on an idle CPU and beside a competing CPU-bound process.

    python -m benchmarks.lessons                     # every lesson, both conditions
    python -m benchmarks.lessons 04_full_transformer --only idle

Each lesson (its instructor version, with the answers) runs in a fresh kernel in a temporary copy of
its folder, exactly as a learner runs it; the committed notebook is not touched. "busy" starts one
process that spins on one core for the whole run, like a second notebook or a grader on a laptop.
The last column is the kernel's CPU time in the first condition: on a machine that other work keeps
busy, it is what the lesson would take idle on one thread. Targets (README): every lesson <= 60 s
idle and <= 120 s busy; the whole course <= 300 s idle.
"""
import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"idle": 60, "busy": 120}
COURSE_TARGET = 300


def spin():
    while True:
        pass


def slowest_cells(nb, count=3):
    """[(seconds, first line)] of the `count` slowest code cells of an executed notebook."""
    rows = []
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.execute_input", "shell.execute_reply"))
            rows.append(((end - start).total_seconds(), cell.source.splitlines()[0][:60] if cell.source else ""))
    return sorted(rows, reverse=True)[:count]


# Appended to the temporary copy: the kernel's own CPU time, which other processes barely change, so a
# run on a shared machine still estimates the idle time of a lesson that runs on one thread.
CPU_TIME_CELL = "import resource as _r; _u = _r.getrusage(_r.RUSAGE_SELF); print(f'{_u.ru_utime + _u.ru_stime:.3f}')"


def run_lesson(lesson, show_cells=False):
    """(wall seconds, kernel CPU seconds) to execute solutions/<lesson>/<lesson>.ipynb in a temporary copy."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / lesson
        shutil.copytree(REPO / "solutions" / lesson, folder)
        nb = nbformat.read(folder / f"{lesson}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(CPU_TIME_CELL))
        start = time.perf_counter()
        NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
        seconds = time.perf_counter() - start
        cpu_seconds = float(nb.cells[-1].outputs[0]["text"])
        if show_cells:
            for cell_seconds, line in slowest_cells(nb):
                print(f"       {cell_seconds:6.1f} s  {line}", file=sys.stderr)
        return seconds, cpu_seconds


def measure(lessons, condition, show_cells=False):
    competitor = None
    if condition == "busy":
        competitor = multiprocessing.Process(target=spin, daemon=True)
        competitor.start()
    try:
        return {lesson: run_lesson(lesson, show_cells) for lesson in lessons}
    finally:
        if competitor is not None:
            competitor.terminate()


def main():
    all_lessons = sorted(p.parent.name for p in REPO.glob("solutions/*/*.ipynb") if p.stem == p.parent.name)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", default=all_lessons)
    parser.add_argument("--only", choices=sorted(TARGETS), help="measure one condition only")
    parser.add_argument("--cells", action="store_true", help="also print each lesson's three slowest cells")
    args = parser.parse_args()
    conditions = [args.only] if args.only else ["idle", "busy"]
    results, cpu = {}, {}
    for condition in conditions:
        results[condition], cpu[condition] = {}, {}
        for lesson in args.lessons:
            (wall, cpu_seconds), = measure([lesson], condition, args.cells).values()
            results[condition][lesson], cpu[condition][lesson] = wall, cpu_seconds
            print(f"  {condition:4} {lesson:26} {wall:6.1f} s wall, {cpu_seconds:6.1f} s kernel CPU",
                  file=sys.stderr, flush=True)

    print(f"\n{'lesson':26}" + "".join(f"{c + ' (s)':>12}" for c in conditions) + f"{'CPU (s)':>10}   targets: "
          + ", ".join(f"{c} <= {TARGETS[c]} s" for c in conditions))
    failed = []
    for lesson in args.lessons:
        row = f"{lesson:26}"
        for condition in conditions:
            seconds = results[condition][lesson]
            ok = seconds <= TARGETS[condition]
            failed += [] if ok else [f"{lesson} {condition}"]
            row += f"{seconds:11.1f}{' ' if ok else '!'}"
        print(row + f"{cpu[conditions[0]][lesson]:10.1f}")
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
