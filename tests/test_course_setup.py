"""The setup cell loads the course's `utils`, never a learner's `utils.py` or another package of that name."""
import subprocess
import sys

import pytest

from course import REPO

SETUP_CELL = (REPO / "tools" / "setup_cell.py").read_text()
# After the setup cell, a lesson uses the course's library through a plain import.
LESSON_USES_UTILS = """
import utils
from utils.figures import interactive_figure
assert utils.__course__ == "transformers-from-first-principles", utils
q = torch.randn(1, 3, 4)
out, _ = utils.scaled_dot_product_attention(q, q, q)
print("lesson ok", tuple(out.shape))
"""


def run_setup_cell(folder, before=""):
    """Run the setup cell as a script in `folder` (its sys.path[0], like a kernel's working folder)."""
    script = folder / "lesson.py"
    script.write_text(before + SETUP_CELL + LESSON_USES_UTILS)
    return subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True, text=True, timeout=300)


# Each test starts a Python that imports torch (seconds): the quick loop keeps the commonest case only.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("shadow", ["utils.py", pytest.param("utils/__init__.py", marks=SLOW),
                                    pytest.param("utils/notes.txt", marks=SLOW)],
                         ids=["module", "package", "namespace-folder"])
def test_a_learners_utils_beside_the_lesson_does_not_break_it(tmp_path, shadow):
    path = tmp_path / shadow
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("raise ImportError('the learner\\'s own utils, not the course library')\n")
    result = run_setup_cell(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "lesson ok (1, 3, 4)" in result.stdout
    named = path if shadow != "utils/notes.txt" else path.parent
    assert f"would have loaded {named}" in result.stdout, \
        f"the learner is not told what shadows utils:\n{result.stdout}"


@SLOW
def test_a_learners_utils_imported_before_the_setup_cell_is_replaced(tmp_path):
    (tmp_path / "utils.py").write_text("LEARNER = True\n")
    result = run_setup_cell(tmp_path, before="import utils\nassert utils.LEARNER\n")
    assert result.returncode == 0, result.stderr
    assert "lesson ok" in result.stdout


@SLOW
def test_without_a_shadow_the_setup_cell_says_nothing_about_it(tmp_path):
    result = run_setup_cell(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would have loaded" not in result.stdout
    assert "device: cpu" in result.stdout and "CPU threads:" in result.stdout


@SLOW
def test_the_setup_cell_prints_the_thread_count_it_set(tmp_path):
    result = run_setup_cell(tmp_path, before="import os\nos.environ['OMP_NUM_THREADS'] = '1'\n")
    assert "CPU threads: 1 (from OMP_NUM_THREADS)" in result.stdout, result.stdout + result.stderr


def test_a_broken_course_install_is_a_clear_error(tmp_path, monkeypatch):
    import course_setup

    monkeypatch.setattr(course_setup, "COURSE_UTILS", tmp_path / "nowhere" / "utils")
    monkeypatch.delitem(sys.modules, "utils", raising=False)
    with pytest.raises(ModuleNotFoundError, match="pip install -r requirements.txt"):
        course_setup.load_course_utils()
