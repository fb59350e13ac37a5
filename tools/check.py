"""Check your answers before you submit: run a lesson notebook's exercises and their visible tests.

    python -m tools.check notebooks/02_attention/02_attention.ipynb              # every exercise
    python -m tools.check notebooks/02_attention/02_attention.ipynb test_stable_softmax

From a notebook cell (save the notebook first):

    !cd ../.. && {sys.executable} -m tools.check notebooks/02_attention/02_attention.ipynb

It runs your saved notebook in a fresh kernel the way grading does (demo cells nothing depends on
are skipped, each cell has a time limit) and says, for each test cell, passed or failed and why.
It exits 1 if any check failed. Grading runs more cases than these (hidden tests): passing here
is necessary, not sufficient.
"""
import argparse
import sys
from pathlib import Path

import nbformat

from tools.grade import ANSI, error_line, grade_cells, plan
from tools.grade_worker import Limits, execute


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("tests", nargs="*", help="test cell ids (default: all), e.g. test_stable_softmax")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"no such notebook: {args.notebook}")
    nb = nbformat.read(args.notebook, as_version=4)
    tests = grade_cells(nb)
    if not tests:
        parser.error(f"{args.notebook} has no graded test cells")
    unknown = set(args.tests) - set(tests)
    if unknown:
        parser.error(f"no test cell {sorted(unknown)}; this notebook has {sorted(tests)}")
    for cell in nb.cells:
        cell.outputs = [] if cell.cell_type == "code" else cell.get("outputs")
        if cell.cell_type == "code":
            cell.execution_count = None
    plan(nb, reference=nbformat.v4.new_notebook())  # your own answers all the way through
    result = execute(nbformat.writes(nb), Limits(wall_time=600, sandbox=False))  # your own code, as you
    if result["status"] != "graded":
        print(f"could not run your notebook: {result['reason']}")
        return 1
    ran = {c.metadata.get("nbgrader", {}).get("grade_id"): c
           for c in nbformat.reads(result["notebook"], as_version=4).cells}
    failed = 0
    for test_id in args.tests or tests:
        cell = ran[test_id]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        points = cell.metadata.nbgrader.get("points", 0)
        if errors:
            failed += 1
            print(f"FAILED  {test_id} ({points} points): {ANSI.sub('', error_line(errors[0]))}")
        else:
            print(f"passed  {test_id} ({points} points)")
    print(f"{len(args.tests or tests) - failed} of {len(args.tests or tests)} checks passed. "
          "Grading also runs hidden tests with other inputs: passing here does not guarantee the points.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
