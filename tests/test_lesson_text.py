"""Lessons are reviewable as text.

Each solution notebook has a jupytext py:percent text form beside it (solutions/NN_name/NN_name.py) with the
same cells: sources and nbgrader metadata. Committed notebooks (solutions/ and notebooks/) carry nothing that
changes on every run without saying anything about the lesson: per-cell execution timestamps, saved widget
state, widget views pointing into it, one stream's output split where the kernel happened to flush.
Figures are the 256-colour PNGs that `python -m tools.run_lesson` writes.
Fix any failure here with `python -m tools.run_lesson solutions/NN_name/NN_name.ipynb` (then
`python -m tools.release NN_name`); see CONTRIBUTING.md.
"""
import base64
import io

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

from course import LESSONS, REPO

SOLUTIONS = [REPO / "solutions" / lesson / f"{lesson}.ipynb" for lesson in LESSONS]
COMMITTED = SOLUTIONS + [REPO / "notebooks" / lesson / f"{lesson}.ipynb" for lesson in LESSONS]
RERUN = "run `python -m tools.run_lesson {}` (add --no-execute for a prose-only edit)"


def cells(nb):
    """Per cell: what the text form must hold of it."""
    return [{"type": c.cell_type, "source": c.source, "nbgrader": c.metadata.get("nbgrader")} for c in nb.cells]


def test_every_lesson_is_found():
    assert len(LESSONS) >= 8 and all(path.is_file() for path in SOLUTIONS)


def test_every_solution_folder_holds_one_notebook_and_its_text_form():
    for folder in sorted(p for p in (REPO / "solutions").iterdir() if p.is_dir()):
        notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
        assert notebooks == [f"{folder.name}.ipynb"], f"{folder}: expected one lesson notebook, found {notebooks}"
        assert (folder / f"{folder.name}.py").is_file(), (
            f"{folder.name}.ipynb has no text form {folder.name}.py: "
            + RERUN.format(f"solutions/{folder.name}/{folder.name}.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS)
def test_text_form_matches_the_notebook(lesson):
    notebook = REPO / "solutions" / lesson / f"{lesson}.ipynb"
    text = notebook.with_suffix(".py")
    assert text.is_file(), f"missing {text.relative_to(REPO)}: " + RERUN.format(notebook.relative_to(REPO))
    from_text = cells(jupytext.read(text, config=load_jupytext_config(str(notebook))))
    from_notebook = cells(nbformat.read(notebook, as_version=4))
    stale = [i for i, (a, b) in enumerate(zip(from_text, from_notebook)) if a != b]
    assert len(from_text) == len(from_notebook) and not stale, (
        f"{text.name} and {notebook.name} disagree ({len(from_text)} vs {len(from_notebook)} cells; "
        f"first differing cell: {stale[:1]}): " + RERUN.format(notebook.relative_to(REPO)))


def test_text_forms_are_not_released_to_learners():
    released = sorted(p.relative_to(REPO) for p in (REPO / "notebooks").glob("*/*.py"))
    assert not released, \
        f"notebooks/ holds text forms, which nbgrader_config.py's ignore list should keep out: {released}"


def test_pytest_does_not_collect_the_text_forms():
    import configparser

    ini = configparser.ConfigParser()
    ini.read(REPO / "pytest.ini")
    assert ini["pytest"]["testpaths"].split() == ["tests"], "pytest would import solutions/*/*.py as modules"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_committed_notebooks_hold_no_run_noise(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state"
    timed = [i for i, c in enumerate(nb.cells) if "execution" in c.metadata or "ExecuteTime" in c.metadata]
    assert not timed, f"{path.name}: cells {timed} carry execution timestamps"
    views = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not views, f"{path.name}: cells {views} hold widget views (a random model id on each run)"
    split = [i for i, c in enumerate(nb.cells) for a, b in zip(c.get("outputs", []), c.get("outputs", [])[1:])
             if a.output_type == b.output_type == "stream" and a.name == b.name]
    assert not split, f"{path.name}: cells {split} hold one stream's output in pieces (split where the kernel flushed)"


@pytest.mark.parametrize("lesson", LESSONS)
def test_figures_are_small_pngs(lesson):
    from PIL import Image

    nb = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    full = [i for i, c in enumerate(nb.cells) for o in c.get("outputs", []) if "image/png" in o.get("data", {})
            and Image.open(io.BytesIO(base64.b64decode(o.data["image/png"]))).mode != "P"]
    assert not full, f"cells {full} hold full-colour PNGs: " + RERUN.format(f"solutions/{lesson}/{lesson}.ipynb")


def test_the_edited_file_of_a_pair_is_taken_and_edits_to_both_are_refused(tmp_path):
    """tools.run_lesson takes the file of a pair edited since the pair last agreed (its last sync or git's
    HEAD), whichever is newer on disk, across several edit-run rounds and after changes are thrown away;
    when both were edited differently it refuses, and its advice recovers; without git the newer file wins."""
    import os
    import subprocess

    from tools import run_lesson

    def lesson(folder):
        folder.mkdir()
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_markdown_cell("# A lesson"),
            nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "x", "solution": True,
                                                                      "grade": False, "locked": False,
                                                                      "schema_version": 3, "task": False}})])
        return folder / "L.ipynb", nb

    def edit(path, old, new, older=False):
        path.write_text(path.read_text().replace(old, new))
        if older:  # make the edited file the older of the pair: the choice must not rest on the clock
            other = path.with_suffix(".py" if path.suffix == ".ipynb" else ".ipynb")
            os.utime(path, (other.stat().st_mtime - 60,) * 2)

    def code(path):
        return run_lesson.read_pair(path).cells[1].source

    def sync(path):
        run_lesson.write_pair(run_lesson.read_pair(path), path)

    path, nb = lesson(tmp_path / "course")
    git = {"cwd": path.parent, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **git)
    run_lesson.write_pair(nb, path)
    subprocess.run(["git", "add", "."], **git)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "lesson"], **git)
    text = path.with_suffix(".py")

    edit(text, "x = 1", "x = 2", older=True)
    assert code(path) == "x = 2"
    sync(path)
    edit(text, "x = 2", "x = 3", older=True)  # a second round before any commit is not a conflict
    assert code(path) == "x = 3"
    sync(path)
    edit(path, "x = 3", "x = 4", older=True)
    assert code(path) == "x = 4"
    sync(path)
    edit(path, "x = 4", "x = 5")
    edit(text, "x = 4", "x = 6")
    with pytest.raises(run_lesson.BothEdited, match="both edited"):
        run_lesson.read_pair(path)
    subprocess.run(["git", "checkout", "--", text.name], **git)  # the advice: keep the notebook's edit
    assert code(path) == "x = 5"
    subprocess.run(["git", "checkout", "--", path.name, text.name], **git)  # throw away everything since HEAD
    edit(text, "x = 1", "x = 8", older=True)  # the last sync's record (x = 4) no longer matches either file
    assert code(path) == "x = 8"

    path, nb = lesson(tmp_path / "nogit")
    run_lesson.write_pair(nb, path)
    edit(path.with_suffix(".py"), "x = 1", "x = 7", older=True)
    assert code(path) == "x = 1"  # without git, the newer file (the notebook) wins
