"""How long tools/grade.py takes per student and lesson, and what a class would cost.

    python -m benchmarks.grading                      # every lesson, 2 reference students each
    python -m benchmarks.grading 02_attention --students 4 --workers 2

For each lesson: a throwaway course (this repository's nbgrader_config.py and lesson), the reference
solution submitted by N students, graded by `tools/grade.py` as an instructor would run it. Prints
the kernel CPU-seconds per student (from grades.csv: what executing a submission costs), the CPU
of the whole command per student (kernels, nbgrader, feedback, start-up), wall time, the largest
feedback file, and whether the reference got full marks; then a class-of-30 estimate for the whole
course with the given workers.
Target (issue 12): at most 20 CPU-seconds per student per lesson on a 2-core machine.
"""
import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.release import lessons

REPO = Path(__file__).resolve().parents[1]

BIN = Path(sys.executable).parent


def bench(lesson, students, workers, root):
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions" / lesson, root / "solutions" / lesson)
    # the repository goes on PYTHONPATH for `python -m tools.grade`
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)}
    env.pop("MPLBACKEND", None)
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", lesson, "--force", "--log-level=ERROR"],
                   cwd=root, env=env, check=True, capture_output=True)
    for n in range(students):
        folder = root / "submitted" / f"student{n:02d}" / lesson
        folder.mkdir(parents=True)
        shutil.copy(root / "solutions" / lesson / f"{lesson}.ipynb", folder)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([str(BIN / "python"), "-m", "tools.grade", lesson, "--workers", str(workers)],
                            cwd=root, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    command_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(root / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    full = all(r["status"] == "graded" and float(r["score"]) == float(r["max_score"]) for r in rows)
    kernel_cpu = sum(float(r["cpu_s"]) for r in rows) / len(rows)
    feedback = max((p.stat().st_size for p in root.glob(f"feedback/*/{lesson}/*.html")), default=0)
    if result.returncode != 0 or not full:
        print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
    return kernel_cpu, command_cpu / students, wall, full, feedback


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", default=lessons())
    parser.add_argument("--students", type=int, default=2, help="reference submissions per lesson (2)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"{'lesson':26} {'kernel CPU-s/student':>21} {'command CPU-s/student':>22} {'wall s':>7} "
          f"{'feedback KB':>12}  reference")
    total_cpu = 0.0
    for lesson in args.lessons:
        with tempfile.TemporaryDirectory() as tmp:
            kernel_cpu, command_cpu, wall, full, feedback = bench(lesson, args.students, args.workers, Path(tmp))
        total_cpu += command_cpu
        print(f"{lesson:26} {kernel_cpu:21.1f} {command_cpu:22.1f} {wall:7.1f} {feedback / 1000:12.0f}  "
              f"{'full marks' if full else 'NOT FULL MARKS'}", flush=True)
    print(f"whole course: {total_cpu:.0f} command CPU-s per student; a class of 30 on {args.workers} cores: "
          f"~{30 * total_cpu / args.workers / 60:.0f} min (if the CPUs are free)")


if __name__ == "__main__":
    main()
