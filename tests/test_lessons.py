"""Every lesson runs top to bottom and prints what its committed outputs say (nbval).

Each lesson runs in a fresh kernel, in its own folder, through pytest's nbval plugin in a subprocess,
so that one lesson's failure report stays readable. tests/nbval_sanitize.cfg masks only what differs
between two honest runs (progress bars, timings, addresses).
"""
import time

import pytest

from course import LESSONS, REPO, run

pytestmark = pytest.mark.slow
SANITIZE = REPO / "tests" / "nbval_sanitize.cfg"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_outputs_are_reproduced(lesson):
    notebook = REPO / "solutions" / lesson / f"{lesson}.ipynb"
    start = time.perf_counter()
    result = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", str(notebook),
                  "--nbval-sanitize-with", str(SANITIZE), "--nbval-cell-timeout=600"], cwd=REPO, check=False)
    print(f"{lesson}: {time.perf_counter() - start:.0f} s")  # the budget is 2 min on 2 cores; see README
    assert result.returncode == 0, f"nbval failed on {lesson}:\n{result.stdout[-8000:]}"
