"""The grading round trip with nbgrader's real CLI and gradebook, in a temporary course directory.

For every lesson: release it, then submit (a) the reference solution, (b) the untouched student
notebook and (c) the reference with some answers replaced by cheats that pass the visible test
(tests/cheats/<lesson>.py); autograde, generate feedback. Expect full marks, zero, zero on each
cheated exercise, feedback for everyone, and every submitted file byte-identical afterwards.

On a small assignment made for these tests (tests/grading_demo/): a test cell edited to `pass`, a
cell that never returns, a syntax error, an extra cell and a deleted cell.
"""
import hashlib
import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import LESSONS, REPO, run

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
        """autograde + generate_feedback for every submission; {student: {grade_id: score}}."""
        self.nbgrader("autograde", self.name, "--force", *options)
        self.nbgrader("generate_feedback", self.name, "--force")
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
    """{solution grade_id: (test grade_id, source)} from tests/cheats/<lesson>.py (may be absent)."""
    path = REPO / "tests" / "cheats" / f"{lesson}.py"
    if not path.is_file():
        return {}
    spec = importlib.util.spec_from_file_location(f"cheats_{lesson}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CHEATS


def failing_line(test_cell):
    """The line of the test cell where it raised, or None if it passed (IPython's 'Cell In[n], line k')."""
    for output in test_cell.outputs:
        if output.output_type == "error":
            frames = re.findall(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", "\n".join(output.traceback)))
            return int(frames[0]) if frames else 0
    return None


# --- every lesson -----------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_grading_round_trip(lesson, tmp_path):
    course = Course(tmp_path, REPO / "solutions" / lesson, lesson)
    full = course.max_scores()
    cheats = load_cheats(lesson)

    cheat = course.solution
    for solution_id, (test_id, source) in cheats.items():
        cell_by_id(cheat, solution_id).source = source
    paths = [course.submit("reference", course.solution), course.submit("untouched", course.release)]
    if cheats:
        paths.append(course.submit("cheater", cheat))
    before = {path: digest(path) for path in paths}

    scores = course.grade()

    assert scores["reference"] == full, f"the reference solution lost points: {scores['reference']} of {full}"
    assert sum(scores["untouched"].values()) == 0, f"an untouched student notebook scored {scores['untouched']}"
    for solution_id, (test_id, _) in cheats.items():
        assert scores["cheater"][test_id] == 0, f"the cheat for {solution_id} scored {scores['cheater'][test_id]}"
        # ...and it is a real cheat: it got past the visible example, failing only in the full check
        # (utils.checks on public inputs, where the lesson has one) or in the hidden part.
        test_cell = cell_by_id(course.autograded("cheater"), test_id)
        lines = test_cell.source.splitlines()
        full_check = next((n for n, text in enumerate(lines, 1) if text.startswith("utils.checks.check(")), None)
        first_strong = full_check or lines.index("### BEGIN HIDDEN TESTS") + 2
        line = failing_line(test_cell)
        assert line is not None and line >= first_strong, \
            f"the cheat for {solution_id} should pass the visible example of {test_id} and fail the full check (failed at line {line})"
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
