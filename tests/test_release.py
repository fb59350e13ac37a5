"""notebooks/ is exactly what `python tools/release.py` makes from solutions/: nobody edits it by hand."""
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
    run(["python", str(REPO / "tools" / "release.py"), "--release-dir", str(tmp_path / "release"),
         "--db", f"sqlite:///{tmp_path / 'gradebook.db'}"], cwd=REPO)
    stale = []
    for lesson in LESSONS:
        fresh = tmp_path / "release" / lesson / f"{lesson}.ipynb"
        committed = REPO / "notebooks" / lesson / f"{lesson}.ipynb"
        if not committed.is_file() or comparable(committed) != comparable(fresh):
            stale.append(lesson)
    assert not stale, f"notebooks/ is out of date for {stale}: run `python tools/release.py` and commit"
    extra = sorted({p.name for p in (REPO / "notebooks").iterdir() if p.is_dir()} - set(LESSONS))
    assert not extra, f"notebooks/ holds lessons that solutions/ does not: {extra}"
