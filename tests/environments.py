"""Fresh Python environments for the tests that run the course where learners meet it (Colab, Binder).

Each environment is a new virtual environment with only what that place provides, plus a runner that
executes a notebook with nbclient inside it. Nothing of this checkout's own environment leaks in:
no PYTHONPATH, a fresh HOME (so no cached weights or tokenizers), the notebook alone in its folder.
"""
import os
import subprocess
import sys
from pathlib import Path

from course import REPO, requirement_pins, run as run_tool

# Executes one notebook in place; exits 1 with the failing cell's error if a cell fails.
RUNNER = '''
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path = sys.argv[1]
allow_errors = sys.argv[3:] == ["--allow-errors"]  # run every cell, as a learner running them one by one
nb = nbformat.read(path, as_version=4)
try:
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
except CellExecutionError as error:
    print(str(error)[-6000:])
    sys.exit(1)
finally:
    nbformat.write(nb, path)
'''


def pinned_versions(names):
    """The lines of requirements.txt that pin these packages (the versions the course is tested with)."""
    pins = requirement_pins()
    missing = [name for name in names if name not in pins]
    if missing:
        raise ValueError(f"requirements.txt pins none of {missing}")
    return [pins[name] for name in names]


def pip_env(home):
    """The environment for pip and kernels of a simulated machine: its own HOME, none of ours on the path."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "IPYTHONDIR", "MPLBACKEND")}
    env["HOME"] = str(home)
    env.pop("XDG_CACHE_HOME", None)
    env.pop("TRANSFORMERS_COURSE_CACHE", None)
    env["PIP_NO_INPUT"] = "1"
    return env


class Environment:
    """A virtual environment at `root`/venv, with a HOME of its own at `root`/home."""

    def __init__(self, root, python=sys.executable):
        self.root = Path(root)
        self.home = self.root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.venv = self.root / "venv"
        subprocess.run([str(python), "-m", "venv", str(self.venv)], check=True, capture_output=True, text=True)
        self.python = self.venv / "bin" / "python"
        self.env = pip_env(self.home)
        self.env["PATH"] = os.pathsep.join([str(self.venv / "bin"), os.environ.get("PATH", "")])
        self.env["VIRTUAL_ENV"] = str(self.venv)
        (self.root / "runner.py").write_text(RUNNER)

    def run(self, *args, cwd=None, timeout=1800, extra_env=None):
        """Run a command in this environment; raise with its output if it fails."""
        result = subprocess.run([str(a) for a in args], cwd=cwd or self.root, timeout=timeout, text=True,
                                capture_output=True, env={**self.env, **(extra_env or {})})
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                                 f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
        return result

    def pip_install(self, *requirements):
        return self.run(self.python, "-m", "pip", "install", "-q", *requirements)

    def site_packages(self):
        return Path(self.run(self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                    .stdout.strip())

    def execute(self, notebook, extra_env=None, timeout=900, allow_errors=False):
        """Execute `notebook` in its own folder with this environment's kernel; the CompletedProcess.
        allow_errors: go on after a failing cell (its error stays in the cell's outputs)."""
        notebook = Path(notebook)
        return subprocess.run([str(self.python), str(self.root / "runner.py"), str(notebook), str(notebook.parent),
                               *(["--allow-errors"] if allow_errors else [])],
                              cwd=notebook.parent, timeout=timeout, text=True, capture_output=True,
                              env={**self.env, **(extra_env or {})})


def build_wheel(out_dir):
    """A wheel of this checkout (non-editable: what `pip install git+<course>` installs)."""
    out_dir = Path(out_dir)
    run_tool(["python", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out_dir), str(REPO)],
             cwd=out_dir)
    wheels = sorted(out_dir.glob("transformers_from_first_principles-*.whl"))
    assert len(wheels) == 1, f"expected one wheel of the course in {out_dir}, found {wheels}"
    return wheels[0]


def answered_student_notebook(lesson):
    """The student version of `lesson` with every solution cell answered as the instructor's version is:
    a learner who did every exercise right."""
    import nbformat

    student = nbformat.read(REPO / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    solution = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in student.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return student
