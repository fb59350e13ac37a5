"""tools/grade.py on a simulated class: expected scores per exercise, failures reported, never silent zeros.

The class takes `chain`, a small assignment built here whose exercises call each other (square ->
norm -> mean_norm), so that a broken early helper could cost later exercises; one ungraded demo
cell (must be skipped) and one ungraded cell that a test needs (must run). Grading runs through the
real command line in a throwaway nbgrader course, with short limits so that a loop costs seconds.
"""
import csv
import hashlib
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook

from course import BIN, REPO, run, tool_env

pytestmark = pytest.mark.slow
GRADE = ["-m", "tools.grade"]
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def nbgrader_cell(source, grade_id, *, points=None, solution=False):
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return new_code_cell(source, metadata={"nbgrader": meta})


def chain_notebook():
    """The instructor version of `chain`: three exercises, each calling the previous one."""
    return new_notebook(cells=[
        new_markdown_cell("# Chain: square -> norm -> mean_norm"),
        new_code_cell("import math\nimport sys\nimport warnings"),
        new_code_cell("print('demo ran')\nDEMO = [square_demo for square_demo in range(3)]"),  # ungraded demo
        nbgrader_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "square",
                      solution=True),
        nbgrader_cell("assert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(-2) == 4\n"
                      "assert square(0.5) == 0.25\n### END HIDDEN TESTS", "test_square", points=1),
        nbgrader_cell("def norm(v):\n    ### BEGIN SOLUTION\n    return math.sqrt(sum(square(x) for x in v))\n"
                      "    ### END SOLUTION", "norm", solution=True),
        nbgrader_cell("assert norm([3, 4]) == 5\n### BEGIN HIDDEN TESTS\nassert norm([0, 0]) == 0\n"
                      "assert abs(norm([1, 1]) - math.sqrt(2)) < 1e-12\n### END HIDDEN TESTS", "test_norm", points=2),
        new_code_cell("POINTS = [[3, 4], [6, 8]]"),  # ungraded, but test_mean_norm needs it
        nbgrader_cell("def mean_norm(points):\n    ### BEGIN SOLUTION\n    return sum(norm(p) for p in points) / "
                      "len(points)\n    ### END SOLUTION", "mean_norm", solution=True),
        nbgrader_cell("assert mean_norm(POINTS) == 7.5\n### BEGIN HIDDEN TESTS\nassert mean_norm([[0, 0]]) == 0\n"
                      "assert mean_norm([[1, 0], [0, 3]]) == 2\n### END HIDDEN TESTS", "test_mean_norm", points=3),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


FULL = {"test_square": 1, "test_norm": 2, "test_mean_norm": 3}


class Course:
    """A throwaway nbgrader course with one assignment; submissions edited from its instructor version."""

    def __init__(self, root, name, notebook):
        self.root, self.name = Path(root), name
        shutil.copy(REPO / "nbgrader_config.py", self.root)
        shutil.copytree(REPO / "tools", self.root / "tools")  # the exchange's collector lives there
        (self.root / "solutions" / name).mkdir(parents=True)
        nbformat.write(notebook, self.root / "solutions" / name / f"{name}.ipynb")
        run(["nbgrader", "generate_assignment", name, "--force", "--log-level=WARN"], cwd=self.root)

    def read(self, kind):
        folder = {"solution": "solutions", "release": "notebooks"}[kind]
        return nbformat.read(self.root / folder / self.name / f"{self.name}.ipynb", as_version=4)

    def edited(self, **sources):
        """The instructor version with some cells' sources replaced ({grade_id: source}, None deletes)."""
        nb = self.read("solution")
        for grade_id, source in sources.items():
            cell = cell_by_id(nb, grade_id)
            if source is None:
                nb.cells.remove(cell)
            else:
                cell.source = source
        return nb

    def submit(self, student, notebook):
        folder = self.root / "submitted" / student / self.name
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{self.name}.ipynb")
        return folder / f"{self.name}.ipynb"

    def grade(self, *options, lesson=None, timeout=900, env=None):
        return subprocess.run([str(BIN / "python"), *GRADE, lesson or self.name, *options], cwd=self.root,
                              env={**tool_env(), **(env or {})}, capture_output=True, text=True, timeout=timeout)

    def grades(self):
        with open(self.root / "grades.csv", newline="") as f:
            return {row["student"]: row for row in csv.DictReader(f) if row["lesson"] == self.name}

    def gradebook(self, db_url=None):
        """{student: {grade_id: score}} of everyone nbgrader's gradebook has scores for."""
        with Gradebook(db_url or f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            return {s.id: {g.name: g.score for g in gradebook.find_submission(self.name, s.id).notebooks[0].grades}
                    for s in gradebook.students if _has_submission(gradebook, self.name, s.id)}

    def autograded(self, student):
        return nbformat.read(self.root / "autograded" / student / self.name / f"{self.name}.ipynb", as_version=4)

    def feedback(self, student):
        return self.root / "feedback" / student / self.name / f"{self.name}.html"


def _has_submission(gradebook, lesson, student):
    try:
        gradebook.find_submission(lesson, student)
        return True
    except Exception:  # noqa: BLE001  (MissingEntry: never graded)
        return False


def cell_by_id(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scores_of(row):
    return {k: float(row[k]) for k in FULL} if row["status"] == "graded" else None


# What each simulated student wrote, and the scores (None: reported as failed) that are fair for it.
CLASS = {
    "reference": ({}, FULL),
    "blank": ("release", {"test_square": 0, "test_norm": 0, "test_mean_norm": 0}),
    "partial": ({"norm": "def norm(v):\n    return sum(square(x) for x in v)"},  # forgot the square root
                {"test_square": 1, "test_norm": 0, "test_mean_norm": 3}),
    "cheater": ({"norm": "def norm(v):\n    return 5.0"},  # passes the visible test only
                {"test_square": 1, "test_norm": 0, "test_mean_norm": 3}),
    "warning": ({"square": "def square(x):\n    warnings.warn('this could be faster')\n    return x * x"}, FULL),
    "stderr": ({"norm": "def norm(v):\n    print('computing a norm', file=sys.stderr)\n"
                        "    return math.sqrt(sum(square(x) for x in v))"}, FULL),
    "deleted": ({"test_norm": None}, FULL),
    "tampered": ({"square": "def square(x):\n    return x + x", "test_square": "pass"},
                 {"test_square": 0, "test_norm": 2, "test_mean_norm": 3}),
    "syntax": ({"square": "def square(x)\n    return x * x"},  # an early helper that does not even parse
               {"test_square": 0, "test_norm": 2, "test_mean_norm": 3}),
    "endless": ({"norm": "def norm(v):\n    while True:\n        pass"},
                {"test_square": 1, "test_norm": 0, "test_mean_norm": 3}),
    "stubborn": ({"norm": "import signal\ndef norm(v):\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                          "    while True:\n        pass"},  # a loop that ignores the interrupt
                 {"test_square": 1, "test_norm": 0, "test_mean_norm": 3}),
    "chatty": ({"square": "print('x' * 10_000_000)\ndef square(x):\n    return x * x"}, FULL),
    "painter": ({"norm": "from IPython.display import display\ndisplay({'image/png': 'A' * 3_000_000}, raw=True)\n"
                         "def norm(v):\n    return math.sqrt(sum(square(x) for x in v))"}, FULL),
    "killed": ({"mean_norm": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"}, None),
    "greedy": ({"norm": "hoard = bytearray(8 * 1024 ** 3)"}, None),
}
REASONS = {"killed": "kernel died", "greedy": "memory limit"}
LIMITS = ["--timeout", "3", "--memory", "1.5"]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("class"), "chain", chain_notebook())
    paths = {}
    for student, (edits, _) in CLASS.items():
        paths[student] = course.submit(student,
                                       course.read("release") if edits == "release" else course.edited(**edits))
    before = {student: digest(path) for student, path in paths.items()}
    started = time.monotonic()
    result = course.grade("--workers", "2", *LIMITS)
    print(f"graded {len(CLASS)} students in {time.monotonic() - started:.1f} s\n"
          f"{result.stdout}\n{result.stderr[-3000:]}")
    return course, result, paths, before


@pytest.mark.parametrize("student", CLASS)
def test_each_student_gets_the_fair_score_or_a_reported_failure(graded_class, student):
    course, result, _, _ = graded_class
    row = course.grades()[student]
    expected = CLASS[student][1]
    if expected is None:
        assert row["status"] == "failed" and REASONS[student] in row["reason"], row
        assert row["score"] == "", f"a failed submission must not get a score: {row}"
    else:
        assert row["status"] == "graded", row
        assert scores_of(row) == expected, f"{student}: {row}"
        assert float(row["score"]) == sum(expected.values())


def test_failures_make_the_command_fail_and_are_listed(graded_class):
    _, result, _, _ = graded_class
    assert result.returncode == 1, result.stdout + result.stderr
    listing = result.stdout.split("FAILED (not graded, no score given):")[1]
    assert set(re.findall(r"^  (\w+):", listing, re.M)) == {"killed", "greedy"}


def test_the_gradebook_holds_the_scores_and_no_zero_for_failures(graded_class):
    course, _, _, _ = graded_class
    gradebook = course.gradebook()
    assert "killed" not in gradebook and "greedy" not in gradebook
    assert gradebook == {s: exp for s, (_, exp) in CLASS.items() if exp is not None}


def test_a_loop_costs_seconds_and_big_output_is_cut(graded_class):
    course, _, _, _ = graded_class
    rows = course.grades()
    assert float(rows["endless"]["wall_s"]) < 30, rows["endless"]
    for student in ("chatty", "painter"):  # 10 MB of text on one line; a 3 MB image
        assert "output cut" in rows[student]["notes"]
        size = (course.root / "autograded" / student / "chain" / "chain.ipynb").stat().st_size
        assert size < 200_000, f"{student}'s graded notebook kept {size:,} bytes of output"


def test_tamper_report_is_silent_for_honest_students(graded_class):
    course, _, _, _ = graded_class
    rows = course.grades()
    assert "edited test cells" in rows["tampered"]["notes"] and "test_square" in rows["tampered"]["notes"]
    assert "deleted test cells" in rows["deleted"]["notes"] and "test_norm" in rows["deleted"]["notes"]
    for student in ("reference", "blank", "partial", "warning", "stderr", "syntax"):
        assert rows[student]["notes"] == "", f"{student}: {rows[student]['notes']}"


def test_demo_cells_are_skipped_and_needed_cells_run(graded_class):
    course, _, _, _ = graded_class
    nb = course.autograded("reference")
    outputs = "".join(str(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "demo ran" not in outputs, "an ungraded demo cell ran"
    assert len(nb.cells) == len(course.read("solution").cells), "reference cells added for grading were left in"


def test_feedback_names_hidden_checks_without_their_code(graded_class):
    course, _, _, _ = graded_class
    for student, (_, expected) in CLASS.items():
        if expected is None:
            assert not course.feedback(student).exists()
            continue
        html = course.feedback(student).read_text()
        assert len(html.encode()) < 200_000, f"{student}'s feedback is {len(html.encode()):,} bytes"
        assert "square(0.5)" not in html and "[[1, 0], [0, 3]]" not in html, "hidden test code in feedback"
    partial = course.feedback("cheater").read_text()
    assert "hidden check 1: FAILED" in partial and "hidden check 2: not run" in partial
    assert "hidden check 1: passed" in course.feedback("reference").read_text()


def test_submitted_files_stay_byte_identical(graded_class):
    _, _, paths, before = graded_class
    assert {s: digest(p) for s, p in paths.items()} == before


def test_regrading_some_students_on_one_worker_changes_nothing(graded_class):
    """One worker gives the same gradebook as two, and re-grading some students keeps the others' rows."""
    course, _, _, _ = graded_class
    before, gradebook = course.grades(), course.gradebook()
    some = ["reference", "partial", "syntax"]
    result = course.grade(*[f"--student={s}" for s in some], "--workers", "1", *LIMITS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert course.gradebook() == gradebook
    after = course.grades()
    assert {s: r for s, r in after.items() if s not in some} == {s: r for s, r in before.items() if s not in some}
    assert all(scores_of(after[s]) == CLASS[s][1] for s in some)


def test_bad_input_gets_clear_errors(graded_class, monkeypatch, capsys):
    from tools import grade
    course, _, _, _ = graded_class
    monkeypatch.chdir(course.root)
    monkeypatch.setenv("PATH", os.environ["PATH"])  # main() puts this environment's bin/ first; undone after
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    for argv, message in [(["no_such_lesson"], "no lesson 'no_such_lesson'"),
                          (["chain", "--workers", "0"], "--workers must be at least 1"),
                          (["chain", "--student", "ghost"], "no submission of chain from ghost")]:
        with pytest.raises(SystemExit) as exit_:
            grade.main(argv)
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    # Without bubblewrap, grading for credit is refused (and says how to go on) unless --unsafe is given.
    monkeypatch.setattr(grade, "sandbox_problem", lambda: "bubblewrap is not installed")
    with pytest.raises(SystemExit) as exit_:
        grade.main(["chain"])
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and "cannot grade for credit without a sandbox: bubblewrap is not installed" in error
    assert "--unsafe" in error
    monkeypatch.undo()
    (course.root / "submitted" / "empty" / "chain").mkdir(parents=True)  # a folder without the notebook
    result = course.grade("--student", "empty", *LIMITS)
    assert result.returncode == 1 and "empty: cannot grade: no chain.ipynb in" in result.stdout, result.stdout
    assert course.grades()["empty"]["status"] == "failed" and "empty" not in course.gradebook()


def test_a_dask_scheduler_on_loopback_grades_the_same(graded_class, tmp_path):
    """The distributed path: a scheduler and two workers started here, as an instructor's cluster would be."""
    course, _, _, _ = graded_class
    some = ["reference", "cheater", "endless"]
    (tmp_path / "course").mkdir()
    remote = Course(tmp_path / "course", "chain", chain_notebook())
    for student in some:
        shutil.copytree(course.root / "submitted" / student, remote.root / "submitted" / student)
    scheduler_file = tmp_path / "scheduler.json"
    # Workers run elsewhere: no course folder on their path, only this Python environment.
    env = {**tool_env(), "PYTHONPATH": ""}
    processes = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                  cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(300):
            if scheduler_file.exists():
                break
            time.sleep(0.1)
        processes.append(subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
                                           "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                                          cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        import json
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        result = remote.grade("--scheduler", address, *LIMITS)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"on {address}" in result.stdout
        assert remote.gradebook() == {s: course.gradebook()[s] for s in some}
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_students_check_their_own_answers(graded_class):
    course, _, _, _ = graded_class
    check = [str(BIN / "python"), "-m", "tools.check"]
    partial = course.root / "submitted" / "partial" / "chain" / "chain.ipynb"
    result = subprocess.run([*check, str(partial), "test_square", "test_norm"], env=tool_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "passed  test_square (1 points)" in result.stdout
    assert "FAILED  test_norm (2 points): AssertionError" in result.stdout and "test_mean_norm" not in result.stdout
    assert "1 of 2 checks passed" in result.stdout and "hidden tests" in result.stdout
    unknown = subprocess.run([*check, str(partial), "test_nothing"], env=tool_env(), capture_output=True, text=True)
    assert unknown.returncode == 2 and "no test cell ['test_nothing']" in unknown.stderr


# --- limits that fail a submission, with the limit named ---------------------------------------------

def test_output_and_wall_time_limits_are_failure_reasons(tmp_path):
    course = Course(tmp_path, "chain", chain_notebook())
    course.submit("flood", course.edited(square="for _ in range(50):\n    print('y' * 10_000)\n"
                                                "def square(x):\n    return x * x"))
    slow = "import time\ntime.sleep(2.5)\n"
    course.submit("slow", course.edited(square=slow + "def square(x):\n    return x * x",
                                        norm=slow + "def norm(v):\n    return math.sqrt(sum(square(x) for x in v))",
                                        mean_norm=slow + "def mean_norm(p):\n    return sum(map(norm, p)) / len(p)"))
    result = course.grade("--output-limit", "200000", "--wall-time", "6", *LIMITS)
    assert result.returncode == 1, result.stdout + result.stderr
    rows = course.grades()
    assert rows["flood"]["status"] == "failed" and "output limit" in rows["flood"]["reason"], rows["flood"]
    assert rows["slow"]["status"] == "failed" and "wall time limit" in rows["slow"]["reason"], rows["slow"]
    assert course.gradebook() == {}, "a failed submission must not be scored"


# --- a real lesson ------------------------------------------------------------------------------------

def test_lesson_02_each_exercise_on_its_own(tmp_path):
    """The issue's case: a typo in stable_softmax must not cost scaled_dot_product_attention; a warning
    costs nothing; the lesson's cheats (tests/cheats) score 0 on each cheated exercise."""
    from test_grading import load_cheats
    lesson = "02_attention"
    course = Course(tmp_path, lesson, nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4))
    full = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
            for c in course.read("solution").cells if c.metadata.get("nbgrader", {}).get("grade")}
    cheats = load_cheats(lesson)
    course.submit("reference", course.read("solution"))
    course.submit("cheater", course.edited(**{sid: source for sid, (_, source) in cheats.items()}))
    typo = cell_by_id(course.read("solution"), "stable_softmax").source.replace("def stable_softmax(scores, dim=-1):",
                                                                                "def stable_softmax(scores, dim=-1)")
    course.submit("typo", course.edited(stable_softmax=typo))
    warned = cell_by_id(course.read("solution"), "dot_product_scores").source.replace(
        "### BEGIN SOLUTION", "### BEGIN SOLUTION\n    import warnings; warnings.warn('an honest warning')")
    course.submit("warning", course.edited(dot_product_scores=warned))
    result = course.grade("--workers", "2")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    scores = course.gradebook()
    assert scores["reference"] == full and scores["warning"] == full
    assert scores["typo"] == {**full, "test_stable_softmax": 0}
    assert scores["cheater"] == {test_id: 0 for _, (test_id, _) in cheats.items()} | {
        t: p for t, p in full.items() if t not in {test_id for test_id, _ in cheats.values()}}
    # Feedback: small, hidden checks by number, never a line of hidden test code.
    hidden = [line.strip() for c in course.read("solution").cells if c.metadata.get("nbgrader", {}).get("grade")
              for line in c.source.split(HIDDEN_BEGIN)[-1].splitlines()[1:] if len(line.strip()) > 20
              and HIDDEN_BEGIN in c.source and not line.startswith("###")]
    released = "\n".join(c.source for c in course.read("release").cells)
    hidden = [line for line in hidden if line not in released]  # a line may be in the visible part too
    assert hidden, "lesson 02 should have hidden tests"
    for student in scores:
        page = course.feedback(student).read_text()
        assert len(page.encode()) < 200_000, f"{student}'s feedback is {len(page.encode()):,} bytes"
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert "hidden checks (not shown)" in text  # the verdicts of grading's own checks, not their code
        if student == "reference":
            assert text.count("passed: all") == len(full), "each exercise's verdict is in the feedback"
        assert not [line for line in hidden if line in text], f"hidden test code in {student}'s feedback"


# --- a PostgreSQL gradebook ---------------------------------------------------------------------------

def postgres_bin():
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture
def postgres():
    """A PostgreSQL server of our own on loopback, in a temporary folder; its SQLAlchemy URL."""
    import socket
    import tempfile
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries here (Debian: apt-get install postgresql; .ci/run does)")
    pytest.importorskip("psycopg2", reason="psycopg2-binary is in requirements.txt")
    # initdb refuses to run as root: then run the server as Debian's `postgres` user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="gradebook-pg-"))
    if as_user:
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"

    def pg(*command):
        subprocess.run([*as_user, str(bindir / command[0]), *command[1:]], check=True, capture_output=True,
                       timeout=120, cwd=folder)

    pg("initdb", "-D", str(data), "-U", "grader", "--auth=trust")
    pg("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
       f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start")
    try:
        pg("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook")
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_a_postgresql_gradebook(postgres, tmp_path, graded_class):
    class_course, _, _, _ = graded_class
    course = Course(tmp_path, "chain", chain_notebook())
    run(["nbgrader", "generate_assignment", "chain", "--force", f"--db={postgres}", "--log-level=WARN"],
        cwd=course.root)
    some = ["reference", "partial", "killed"]
    for student in some:
        shutil.copytree(class_course.root / "submitted" / student, course.root / "submitted" / student)
    result = course.grade("--db", postgres, *LIMITS)
    assert result.returncode == 1 and "killed: kernel died" in result.stdout, result.stdout + result.stderr
    assert not (course.root / "gradebook.db").exists() or course.gradebook() == {}, "scores went to SQLite"
    assert course.gradebook(postgres) == {s: CLASS[s][1] for s in ("reference", "partial")}


# --- the multi-user path: nbgrader's exchange -------------------------------------------------------------

def test_release_fetch_submit_collect_grade_feedback_through_an_exchange(tmp_path):
    """README's multi-user steps, with a temporary exchange: what JupyterHub users would run."""
    (tmp_path / "course").mkdir()
    course = Course(tmp_path / "course", "chain", chain_notebook())
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    options = [f"--Exchange.root={exchange}", "--log-level=WARN"]
    run(["nbgrader", "release_assignment", "chain", *options], cwd=course.root)
    course_id = ["--course", "transformers-from-first-principles"]
    answers = {"ann": {}, "bob": {"norm": "def norm(v):\n    return 5.0"}}
    for student, edits in answers.items():
        home = tmp_path / student
        home.mkdir()
        def nbgrader(*args):  # on JupyterHub the student id is the login name and HOME their own; here we set both
            result = subprocess.run([str(BIN / "nbgrader"), *args, *course_id, *options, f"--student={student}"],
                                    cwd=home, env={**tool_env(), "HOME": str(home)},
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr

        nbgrader("fetch_assignment", "chain")
        fetched = home / "chain" / "chain.ipynb"
        assert fetched.is_file() and "BEGIN HIDDEN TESTS" not in fetched.read_text()
        nbformat.write(course.edited(**edits), fetched)  # the student's work
        nbgrader("submit", "chain")
    # On a hub each student's files belong to their own login: give them uids, and let mallory submit a
    # newer notebook in bob's name (all answers right). Collect must refuse it and keep bob's own.
    uids = {"ann": 61001, "bob": 61002, "mallory": 61003}
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.OwnerCheckedCollect.student_uids = {uids!r}\n")
    inbound = exchange / "transformers-from-first-principles" / "inbound"
    for folder in list(inbound.iterdir()):
        owner = uids[folder.name.split("+")[0]]
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, owner, owner)
    bobs = next(inbound.glob("bob+chain+*"))
    name = bobs.name.split("+")
    forged = inbound / "+".join([name[0], name[1], name[2].replace(name[2][:4], str(int(name[2][:4]) + 1)), "forged"])
    shutil.copytree(bobs, forged)
    nbformat.write(course.edited(), forged / "chain.ipynb")
    for path in [forged, *forged.rglob("*")]:
        os.chown(path, uids["mallory"], uids["mallory"])
    collected = run(["nbgrader", "collect", "chain", *options], cwd=course.root)
    assert ("Refusing bob+chain+" in collected.stdout + collected.stderr
            and "uid 61003" in collected.stdout + collected.stderr)
    result = course.grade(*LIMITS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert course.gradebook() == {"ann": FULL, "bob": {"test_square": 1, "test_norm": 0, "test_mean_norm": 3}}
    run(["nbgrader", "release_feedback", "chain", *options], cwd=course.root)
    for student in answers:
        result = subprocess.run([str(BIN / "nbgrader"), "fetch_feedback", "chain", *course_id, *options,
                                 f"--student={student}"], cwd=tmp_path / student,
                                env={**tool_env(), "HOME": str(tmp_path / student)},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        feedback = list((tmp_path / student / "chain" / "feedback").glob("*/chain.html"))
        assert len(feedback) == 1 and "hidden check" in feedback[0].read_text(), feedback
        assert ("Score: 6.0 / 6.0" in feedback[0].read_text()) == (student == "ann"), "someone else's feedback"


# --- the worker on its own ----------------------------------------------------------------------------------

def test_a_kernel_that_fails_to_start_is_retried_then_reported(monkeypatch, tmp_path):
    from tools import grade_worker
    nb = nbformat.writes(new_notebook(cells=[new_code_cell("print(6 * 7)")]))
    marker = tmp_path / "failed-once"
    # A launcher that fails the first start (as a busy port or a slow disk would), then starts the kernel.
    flaky = ("import os, sys\nif not os.path.exists(sys.argv[1]):\n    open(sys.argv[1], 'w').close()\n"
             "    sys.exit(1)\nos.execv(sys.argv[2], sys.argv[2:])")
    monkeypatch.setattr(grade_worker, "launcher_argv", lambda *args: [sys.executable, "-c", flaky, str(marker)])
    result = grade_worker.execute(nb, grade_worker.Limits(sandbox=False))
    assert marker.exists() and result["status"] == "graded", result["reason"]
    assert "42" in result["notebook"]
    monkeypatch.setattr(grade_worker, "launcher_argv", lambda *args: [sys.executable, "-c", "raise SystemExit(3)"])
    result = grade_worker.execute(nb, grade_worker.Limits(sandbox=False))
    assert result["status"] == "failed" and "kernel failed to start (3 attempts)" in result["reason"], result["reason"]
