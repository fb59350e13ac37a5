"""Binder, simulated: an environment built from `binder/` alone runs a lesson.

Binder's builder (repo2docker) reads only `binder/`: `runtime.txt` names the Python (without it the
builder takes its default, 3.10, which our pins do not support), `requirements.txt` is installed, then
`postBuild` runs from the repository root. This test does the same with the Python that runtime.txt
names, so a pin, a Python version or a postBuild step that stops working fails here first.
"""
import re
import shutil

import nbformat
import pytest

from course import REPO
from environments import Environment, answered_student_notebook

pytestmark = pytest.mark.slow
BINDER = REPO / "binder"
LESSON = "02_attention"  # MiniLM from its wheel, widgets and plots: the most of Binder a short lesson uses


def binder_python():
    """The interpreter runtime.txt asks for ("python-3.11"), found on this machine."""
    runtime = BINDER / "runtime.txt"
    assert runtime.is_file(), "binder/runtime.txt is missing: Binder would build with its default Python (3.10)"
    match = re.fullmatch(r"python-(3\.\d+)", runtime.read_text().strip())
    assert match, f"binder/runtime.txt must read like 'python-3.11', got {runtime.read_text()!r}"
    version = match.group(1)
    python = shutil.which(f"python{version}")
    if python is None:
        pytest.skip(f"binder/runtime.txt asks for Python {version}, which this machine does not have")
    return python, version


def test_binder_names_a_python_the_pins_support():
    text = (REPO / "pyproject.toml").read_text()
    minimum = re.search(r'requires-python = ">=3\.(\d+)"', text).group(1)
    version = re.fullmatch(r"python-3\.(\d+)", (BINDER / "runtime.txt").read_text().strip()).group(1)
    assert int(version) >= int(minimum), f"binder/runtime.txt names 3.{version}; the course needs 3.{minimum}+"


def test_a_lesson_runs_in_an_environment_built_from_binder_alone(tmp_path):
    python, version = binder_python()
    machine = Environment(tmp_path, python=python)
    assert machine.run(machine.python, "--version").stdout.startswith(f"Python {version}")
    # download.pytorch.org (binder/requirements.txt's CPU index) is not reachable from CI; without
    # retries pip moves on to the package registry at once instead of retrying every package.
    machine.env["PIP_RETRIES"] = "0"
    machine.run(machine.python, "-m", "pip", "install", "-q", "-r", BINDER / "requirements.txt", timeout=3600)
    machine.run("bash", BINDER / "postBuild", cwd=REPO)  # repo2docker runs postBuild from the repository root
    machine.run(machine.venv / "bin" / "jupyter-lab", "--version")  # what Binder opens

    folder = tmp_path / "lesson"
    folder.mkdir()
    notebook = folder / f"{LESSON}.ipynb"
    nbformat.write(answered_student_notebook(LESSON), notebook)
    result = machine.execute(notebook)
    assert result.returncode == 0, \
        f"{LESSON} failed in the Binder environment:\n{result.stdout}\n{result.stderr[-4000:]}"
    setup = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert "device: cpu" in "".join(o.get("text", "") for o in setup.outputs)
