"""The course's shape, checked quickly: every lesson follows the template, has its student version,
starts with the same setup cell, grades enough exercises with hidden tests and uses only the library's
public names; Binder agrees with requirements.txt."""
import ast
import re

import nbformat
import pytest

from course import LESSONS, REPO, requirement_pins

SETUP_CELL = (REPO / "tools" / "setup_cell.py").read_text().strip()


def solution(lesson):
    return nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)


def student(lesson):
    return nbformat.read(REPO / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def test_the_lessons_are_numbered_in_order():
    assert LESSONS, "no lesson in solutions/"
    numbers = [int(name[:2]) for name in LESSONS]
    # Strictly increasing from 01; a lesson still being written may leave a gap until it lands.
    assert numbers[0] == 1 and numbers == sorted(set(numbers)), f"lessons must be numbered 01, 02, ...: {LESSONS}"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", name) for name in LESSONS), LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_has_its_student_version(lesson):
    assert (REPO / "notebooks" / lesson / f"{lesson}.ipynb").is_file(), \
        f"notebooks/{lesson} is missing: run `python -m tools.release {lesson}`"


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("version", [solution, student], ids=["solution", "student"])
def test_first_code_cell_is_the_shared_setup_cell(lesson, version):
    first_code = next(c for c in version(lesson).cells if c.cell_type == "code")
    assert first_code.source.strip() == SETUP_CELL, "the first code cell must be tools/setup_cell.py, verbatim"
    assert nbgrader(first_code).get("locked") is True, "the setup cell must be read-only for students"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_follows_the_template(lesson):
    cells = solution(lesson).cells
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# Lesson {lesson[:2]}"), \
        f"the first cell must be the title '# Lesson {lesson[:2]} ...'"
    assert re.search(r"(?i)learning objectives|you will", cells[0].source), "state the learning objectives up front"
    assert re.search(r"(?im)^#+ .*summary", markdown), "end with a summary section"
    assert re.search(r"(?i)\*\*next\b|what comes next|where to go next", markdown), \
        "say what comes next ('**Next: Lesson NN ...**' or a 'Where to go next' section)"


@pytest.mark.parametrize("lesson", LESSONS)
def test_graded_exercises_have_points_and_hidden_tests(lesson):
    cells = solution(lesson).cells
    solutions = [c for c in cells if nbgrader(c).get("solution")]
    tests = [c for c in cells if nbgrader(c).get("grade") and c.cell_type == "code"]
    assert len(tests) >= 4, f"{lesson} grades {len(tests)} exercises; at least 4 expected"
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, nbgrader(cell)["grade_id"]
    for cell in tests:
        meta = nbgrader(cell)
        assert meta.get("points", 0) > 0 and meta.get("locked"), f"{meta['grade_id']}: needs points and must be locked"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']} has no hidden tests"
        first = cell.source.splitlines()[0]
        assert first.startswith(f'utils.checks.check("{meta["grade_id"]}", globals())'), (
            f"{meta['grade_id']}: the test cell must start with its full check, whose messages name typical "
            f"mistakes, before any plain assert of the visible example; it starts with {first!r}")
    ids = [nbgrader(c)["grade_id"] for c in cells if "grade_id" in nbgrader(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {lesson}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_version_hides_solutions_and_hidden_tests(lesson):
    text = "\n".join(c.source for c in student(lesson).cells)
    assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    assert all(not c.get("outputs") for c in student(lesson).cells if c.cell_type == "code"), \
        "student notebooks ship without outputs"


def test_binder_installs_the_same_pinned_packages():
    course, binder = requirement_pins(REPO / "requirements.txt"), requirement_pins(REPO / "binder" / "requirements.txt")
    assert all("==" in line for line in course.values()), "requirements.txt must pin every package"
    assert binder == course, "binder/requirements.txt and requirements.txt disagree: " + str(
        set(binder.items()) ^ set(course.items()))
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "pip install" in post_build and "-e ." in post_build, "postBuild must install the course's utils"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lessons_use_only_the_librarys_public_names(lesson):
    """A lesson names library code as utils.<name> with <name> in utils.__all__ (or the self-check package
    utils.checks): never a module path such as utils.text.X, which a reorganisation of utils would break."""
    import utils
    from utils.checks import parse

    public = set(utils.__all__) | {"checks"}
    private = set()
    for cell in solution(lesson).cells:
        tree = parse(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree is not None else []:
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "utils":
                private |= {f"utils.{node.attr}"} - {f"utils.{name}" for name in public}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "utils":
                names = {alias.name for alias in node.names}
                private |= {f"from {node.module} import {name}" for name in names
                            if node.module != "utils" or name not in public}
            elif isinstance(node, ast.Import):
                private |= {f"import {a.name}" for a in node.names if a.name.startswith("utils.")}
    assert not private, f"{lesson} reaches past utils' public names: {sorted(private)}"
