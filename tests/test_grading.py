"""The grading round trip, in a temporary course directory with nbgrader's real gradebook.

For every lesson, through the course's class-grading command (tools/grade.py, one run per lesson,
2 workers; called only from `grade_class` below): release it, then submit (a) the reference
solution, (b) the blank student notebook and (c) the reference with some answers replaced by cheats
that pass the visible test (tests/cheats/<lesson>/). Expect full marks, zero on every test cell,
zero on each cheated exercise, feedback for everyone, and every submitted file byte-identical.

With nbgrader's own CLI (`nbgrader generate_assignment`, `autograde`, `generate_feedback`: README's
plain nbgrader path), on a small assignment made for these tests (tests/grading_demo/): a test cell
edited to `pass`, a cell that never returns, a syntax error, an extra cell and a deleted cell.
"""
import hashlib
import re
import shutil
import subprocess
import traceback
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

import cheats
from course import BIN, LESSONS, REPO, run, tool_env

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;]*m")
VERDICT = "CheckFailed (grading's own inputs)"  # tools/grade.py's trusted verdict on a checked test cell
NAME_FROM_A_DEMO = -1


def grade_class(course_root, lesson, *options, timeout=1500):
    """Grade every student submitted for `lesson` in the course at `course_root` with tools/grade.py
    (one invocation, 2 workers); the CompletedProcess. The one place this file calls that command."""
    return subprocess.run([str(BIN / "python"), "-m", "tools.grade", lesson,
                           "--course-dir", str(course_root), "--workers", "2", *options],
                          cwd=course_root, env=tool_env(), capture_output=True, text=True, timeout=timeout)


class Course:
    """A throwaway nbgrader course: this repository's config, one assignment copied from `source`."""

    def __init__(self, root, source, name):
        self.root, self.name = Path(root), name
        shutil.copy(REPO / "nbgrader_config.py", self.root)
        shutil.copytree(source, self.root / "solutions" / name)
        self.nbgrader("generate_assignment", name, "--force")

    def nbgrader(self, *args):
        return run(["nbgrader", *args, "--log-level=WARN"], cwd=self.root)

    @property
    def solution(self):
        return nbformat.read(self.root / "solutions" / self.name / f"{self.name}.ipynb", as_version=4)

    @property
    def release(self):
        return nbformat.read(self.root / "notebooks" / self.name / f"{self.name}.ipynb", as_version=4)

    def submit(self, student, notebook):
        folder = self.root / "submitted" / student / self.name
        folder.mkdir(parents=True)
        path = folder / f"{self.name}.ipynb"
        nbformat.write(notebook, path)
        return path

    def grade(self, *options):
        """nbgrader's own autograde + generate_feedback for every submission; {student: {grade_id: score}}."""
        self.nbgrader("autograde", self.name, "--force", *options)
        self.nbgrader("generate_feedback", self.name, "--force")
        return self.scores()

    def grade_class(self, *options):
        """tools/grade.py for every submission (it writes feedback too); {student: {grade_id: score}}."""
        result = grade_class(self.root, self.name, *options)
        assert result.returncode == 0, f"tools/grade.py {self.name} failed ({result.returncode}):\n" \
                                       f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        return self.scores()

    def scores(self):
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            return {
                student.id: {grade.name: grade.score
                             for grade in gradebook.find_submission(self.name, student.id).notebooks[0].grades}
                for student in gradebook.students
            }

    def max_scores(self):
        return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
                for c in self.solution.cells if c.metadata.get("nbgrader", {}).get("grade")}

    def feedback(self, student):
        return self.root / "feedback" / student / self.name / f"{self.name}.html"

    def autograded(self, student):
        return nbformat.read(self.root / "autograded" / student / self.name / f"{self.name}.ipynb", as_version=4)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cell_by_id(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def load_cheats(lesson):
    """{solution grade_id: (test grade_id, source)} from tests/cheats/<lesson>/ (may be absent)."""
    return cheats.load(lesson)


def failing_line(test_cell):
    """The line of the test cell where it raised, or None if it passed (IPython's 'Cell In[n], line k')."""
    for output in test_cell.outputs:
        if output.output_type == "error":
            frames = re.findall(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", "\n".join(output.traceback)))
            return int(frames[0]) if frames else 0
    return None


# --- every lesson -----------------------------------------------------------------------------

def run_here(notebook, test_source):
    """Run the answers of `notebook` (its solution cells) and then `test_source` in this process, on the
    lesson's usual imports; the line of the test that raised, or None if it passed. For test cells that
    grading judges itself (pure functions of tensors: cheap here)."""
    namespace = {}
    exec("import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
         "import utils\nimport utils.checks", namespace)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(compile(cell.source, "<answer>", "exec"), namespace)
    try:
        exec(compile(test_source, "<test cell>", "exec"), namespace)
    except NameError:  # the test cell reads a name a demo cell defines: not answerable here
        return NAME_FROM_A_DEMO
    except Exception as error:  # noqa: BLE001  (the test failing is what we look for)
        frames = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename == "<test cell>"]
        return frames[0] if frames else 0
    return None


def cheat_failed_in_full_check(test_cell, cheat):
    """None if the cheat got past the test cell's visible example and failed only its full check, else why not.

    A test cell with a check in utils.checks does not run under tools/grade.py: its output is the trusted
    verdict on grading's own inputs, which a real cheat fails after its answer ran to the end; that the
    cheat gets past the visible example is then seen here, by running the test cell on the cheating
    notebook's answers in this process (`run_here`). Any other test cell ran in grading's kernel. Either
    way it must raise in the full check (utils.checks on public inputs, where the lesson has one) or in
    the hidden part, after the visible example."""
    error = next((o for o in test_cell.outputs if o.output_type == "error"), None)
    judged = error is not None and error.traceback and error.traceback[0].startswith(VERDICT)
    if any(o.output_type == "stream" and o.text.startswith("passed: all") for o in test_cell.outputs):
        return "the trusted verdict passed it"
    if judged and error.evalue.startswith(("no result", "the answer's outputs could not be read")):
        return f"the answer did not run to the end: {error.evalue}"
    if judged:  # the full check moved after the hidden tests: the cheat must pass the visible example only
        source = cell_by_id(cheat, test_cell.metadata.nbgrader["grade_id"]).source.splitlines()
        full_check = [text for text in source if text.startswith("utils.checks.check(")]
        lines = [text for text in source if not text.startswith("utils.checks.check(")] + full_check
        hidden = lines.index("### BEGIN HIDDEN TESTS") + 1
        line = run_here(cheat, "\n".join(lines))
        if line == NAME_FROM_A_DEMO:  # the verdict failed it; where the visible example stands needs the demos
            return None
        if line is None or line < hidden:
            return f"failed at line {line} (the visible example ends before line {hidden}; None: never)"
        return None
    lines = test_cell.source.splitlines()  # decided in grading's kernel: it failed in the full check or hidden part
    full_check = next((n for n, text in enumerate(lines, 1) if text.startswith("utils.checks.check(")), None)
    line = failing_line(test_cell)
    if line is None or (line != full_check and line < lines.index("### BEGIN HIDDEN TESTS") + 2):
        return f"failed at line {line}, in the visible example"
    return None


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_grading_round_trip(lesson, tmp_path):
    course = Course(tmp_path, REPO / "solutions" / lesson, lesson)
    full = course.max_scores()
    cheats = load_cheats(lesson)

    cheat = course.solution
    for solution_id, (test_id, source) in cheats.items():
        cell_by_id(cheat, solution_id).source = source
    paths = [course.submit("reference", course.solution), course.submit("blank", course.release)]
    if cheats:
        paths.append(course.submit("cheats", cheat))
    before = {path: digest(path) for path in paths}

    scores = course.grade_class()

    assert set(scores) == {path.parent.parent.name for path in paths}, f"not everyone was graded: {sorted(scores)}"
    assert scores["reference"] == full, f"the reference solution lost points: {scores['reference']} of {full}"
    assert scores["blank"] == dict.fromkeys(full, 0), f"a blank student notebook scored {scores['blank']}"
    for solution_id, (test_id, _) in cheats.items():
        assert scores["cheats"][test_id] == 0, f"the cheat for {solution_id} scored {scores['cheats'][test_id]}"
        # ...and it is a real cheat: it got past the visible example, failing only in the full check.
        why_not = cheat_failed_in_full_check(cell_by_id(course.autograded("cheats"), test_id), cheat)
        assert why_not is None, (f"the cheat for {solution_id} should pass the visible example of {test_id} "
                                 f"and fail the full check: {why_not}")
    for student in scores:
        assert course.feedback(student).is_file(), f"no feedback for {student}"
    assert {path: digest(path) for path in paths} == before, "grading changed a submitted file"


# --- what students do to notebooks --------------------------------------------------------------

DEMO = REPO / "tests" / "grading_demo" / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Grade one submission of each kind of mishap, together, with a 5 s timeout per cell."""
    course = Course(tmp_path_factory.mktemp("demo"), DEMO, "demo")

    def edited(grade_id, source):
        nb = course.solution
        cell_by_id(nb, grade_id).source = source
        return nb

    # (c) a wrong answer whose read-only test cell was replaced by `pass`
    tampered = edited("add", "def add(a, b):\n    return a - b\n")
    cell_by_id(tampered, "test_add").source = "pass"
    # (d) a cell that never returns, (e) a syntax error
    endless = edited("square", "while True:\n    pass\n\ndef square(x):\n    return x * x\n")
    broken = edited("is_even", "def is_even(n)\n    return n % 2 == 0\n")
    # (f) a cell added and a cell deleted
    extra = course.solution
    extra.cells.insert(3, nbformat.v4.new_code_cell("print('my own notes')"))
    deleted = course.solution
    deleted.cells.remove(cell_by_id(deleted, "test_square"))

    submissions = {"reference": course.solution, "tampered": tampered, "endless": endless, "broken": broken,
                   "extra": extra, "deleted": deleted}
    paths = {student: course.submit(student, nb) for student, nb in submissions.items()}
    before = {student: digest(path) for student, path in paths.items()}
    scores = course.grade("--Execute.timeout=5")
    return course, scores, paths, before


def test_demo_reference_gets_full_marks(demo):
    course, scores, _, _ = demo
    assert scores["reference"] == course.max_scores() == {"test_add": 1, "test_square": 2, "test_is_even": 3}


def test_an_edited_test_cell_is_restored_and_grades_the_real_answer(demo):
    course, scores, _, _ = demo
    assert scores["tampered"] == {"test_add": 0, "test_square": 2, "test_is_even": 3}
    assert "assert add(1, 2) == 3" in cell_by_id(course.autograded("tampered"), "test_add").source


def test_a_cell_that_never_returns_is_interrupted_and_grading_goes_on(demo):
    _, scores, _, _ = demo
    assert scores["endless"] == {"test_add": 1, "test_square": 0, "test_is_even": 3}


def test_a_syntax_error_costs_only_its_own_part(demo):
    _, scores, _, _ = demo
    assert scores["broken"] == {"test_add": 1, "test_square": 2, "test_is_even": 0}


def test_added_and_deleted_cells_are_still_graded(demo):
    course, scores, _, _ = demo
    assert scores["extra"] == {"test_add": 1, "test_square": 2, "test_is_even": 3}
    assert scores["deleted"] == {"test_add": 1, "test_square": 0, "test_is_even": 3}  # no free points
    assert "my own notes" in "".join(c.source for c in course.autograded("extra").cells)


def test_every_submission_gets_feedback_and_stays_byte_identical(demo):
    course, scores, paths, before = demo
    assert set(scores) == set(paths)
    for student, path in paths.items():
        assert digest(path) == before[student], f"grading changed {student}'s submitted file"
        assert course.feedback(student).is_file(), f"no feedback for {student}"
