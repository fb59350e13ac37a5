"""notebooks/ is exactly what `python -m tools.release` makes from solutions/: nobody edits it by hand."""
import nbformat
import pytest

from course import LESSONS, REPO, run

pytestmark = pytest.mark.slow


def comparable(path):
    """The notebook minus metadata that says nothing about its content (kernel and language versions)."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("kernelspec", None)
    nb.metadata.pop("language_info", None)
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


def test_student_notebooks_match_a_fresh_release(tmp_path):
    run(["python", "-m", "tools.release", "--release-dir", str(tmp_path / "release"),
         "--db", f"sqlite:///{tmp_path / 'gradebook.db'}"], cwd=REPO)
    stale = []
    for lesson in LESSONS:
        fresh = tmp_path / "release" / lesson / f"{lesson}.ipynb"
        committed = REPO / "notebooks" / lesson / f"{lesson}.ipynb"
        if not committed.is_file() or comparable(committed) != comparable(fresh):
            stale.append(lesson)
    assert not stale, f"notebooks/ is out of date for {stale}: run `python -m tools.release` and commit"
    extra = sorted({p.name for p in (REPO / "notebooks").iterdir() if p.is_dir()} - set(LESSONS))
    assert not extra, f"notebooks/ holds lessons that solutions/ does not: {extra}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_notebooks_carry_nothing_of_the_instructors_run(lesson):
    nb = nbformat.read(REPO / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    assert "widgets" not in nb.metadata, "saved widget state: JupyterLab would log 'widget model not found'"
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"code cells {with_outputs} keep the instructor's outputs"
