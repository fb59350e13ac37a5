"""nbgrader configuration for this course. Run nbgrader commands from the repository root.

solutions/NN_name/NN_name.ipynb  (instructor source)  --generate_assignment-->  notebooks/NN_name/
"""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "transformers-from-first-principles"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Lessons train small models; nbgrader's default of 30 s per cell is too short for them.
# A cell that never returns is still interrupted, and grading goes on with the next cell.
c.Execute.timeout = 240
c.Execute.interrupt_on_timeout = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# `nbgrader collect` refuses a submission whose files do not belong to the student it names (tools/exchange.py).
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

COURSE = Path(__file__).resolve().parent
# In the course folder (a copy holding only this file collects as nbgrader does):
if (COURSE / "tools" / "exchange.py").is_file():
    if str(COURSE) not in sys.path:  # nbgrader's own command does not put the course folder on sys.path
        sys.path.insert(0, str(COURSE))
    c.ExchangeFactory.collect = "tools.exchange.OwnerCheckedCollect"

# Each lesson's jupytext text form (solutions/NN_name/NN_name.py, for reviewers) is not part of the assignment:
# nbgrader neither releases it to learners nor collects it (nbgrader's default ignores, plus these names).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            *sorted(f"{p.stem}.py" for p in (COURSE / "solutions").glob("*/*.ipynb"))]
