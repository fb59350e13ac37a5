"""What the course's tests share: where the lessons are, and how to run nbgrader's real CLI."""
import os
import re
import subprocess
import sys
from pathlib import Path

from tools.release import lessons  # one definition of "a lesson", shared with the release tool

REPO = Path(__file__).resolve().parents[1]

LESSONS = lessons()
BIN = Path(sys.executable).parent


def tool_env():
    """This environment's bin/ first on PATH: nbgrader calls `alembic`, nbval and nbclient start `python`."""
    env = {**os.environ, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    # `python -m tools.X` (README's form) from any folder: the course root first on the module path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p)
    env.pop("MPLBACKEND", None)  # let the kernel choose its inline backend
    return env


def run(command, cwd, timeout=1500, check=True):
    """Run a command of this environment's bin/, return the CompletedProcess (output captured)."""
    result = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=cwd, env=tool_env(), timeout=timeout,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n"
                             f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    return result


def requirement_pins(path=REPO / "requirements.txt"):
    """{name: line} for each pinned requirement, ignoring comments, pip options and the local package."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            pins[re.split(r"[=<>~!\[]", line, maxsplit=1)[0].lower()] = line
    return pins
