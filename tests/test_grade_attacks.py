"""Cheating students against tools/grade.py: each attack gains nothing, honest students graded before
and after keep full marks, submitted files stay byte-identical (issue 13).

Every attack is a lesson-02 submission graded in one class run, in a sandbox each. Some are stopped by
the rules on the answers' source, the rest by the sandbox or by the verdict being decided outside the
student's kernel; `test_the_sandbox_is_what_stops_them` shows the latter would work without one.
"""
import http.server
import threading
import time

import nbformat
import psutil
import pytest

from course import REPO
from test_grade import Course, cell_by_id, digest

pytestmark = pytest.mark.slow
LESSON = "02_attention"
FULL = {"test_dot_product_scores": 2, "test_stable_softmax": 2, "test_scaled_dot_product_attention": 3,
        "test_attention_entropy": 2, "test_additive_attention": 2}
ZERO = {test: 0 for test in FULL}
WRONG = {  # answers of the right shape, wrong values
    "dot_product_scores": "def dot_product_scores(query, key):\n"
                          "    return torch.zeros(*query.shape[:-1], key.shape[-2])",
    "stable_softmax": "def stable_softmax(scores, dim=-1):\n    return torch.ones_like(scores) / scores.size(dim)",
    "scaled_dot_product_attention": "def scaled_dot_product_attention(query, key, value, mask=None):\n"
                                    "    w = torch.ones(*query.shape[:-1], key.shape[-2]) / key.shape[-2]\n"
                                    "    return w @ value, w",
    "attention_entropy": "def attention_entropy(weights):\n    return torch.zeros(weights.shape[:-1])",
    "additive_attention": "def additive_attention(state, memory, W, U, v, mask=None):\n"
                          "    w = torch.ones(memory.shape[:2]) / memory.shape[1]\n"
                          "    return (w[:, :, None] * memory).sum(dim=1), w",
}


def prepend(course, grade_id, code):
    """The reference answer of `grade_id` with `code` before it."""
    return code + "\n" + cell_by_id(course.read("solution"), grade_id).source


@pytest.fixture(scope="module")
def oracle():
    """A server on the grader's loopback that would hand out answers to anyone who can reach it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def attacks(course, oracle, home):
    """{student: (submission, expected scores)}."""
    root = str(course.root)
    wrong = course.edited(**WRONG)
    return {
        # monkeypatch the checking functions, then answer wrongly
        "monkeypatch": (course.edited(**{**WRONG, "dot_product_scores": (
            "torch.testing.assert_close = lambda *a, **k: None\n"
            "import utils.checks\n"
            "utils.checks.judge_results = lambda *a, **k: 99\n"
            "utils.checks.expect_tensor = lambda *a, **k: None\n" + WRONG["dot_product_scores"])}), ZERO),
        # turn every later `assert` into `pass`, answer nothing
        "transformer": (course.edited(dot_product_scores=(
            "get_ipython().input_transformers_cleanup.append(\n"
            "    lambda lines: [line.replace('assert', 'pass') for line in lines])\n")), ZERO),
        # read the gradebook and the hidden tests: only answers if it could
        "reader": (course.edited(dot_product_scores=prepend(course, "dot_product_scores", (
            "import numpy\n"
            "try:\n"
            f"    LEAK = numpy.fromfile({root + '/gradebook.db'!r}, dtype=numpy.uint8)\n"
            f"    LEAK = numpy.fromfile({root + '/solutions/02_attention/02_attention.ipynb'!r}, dtype=numpy.uint8)\n"
            "except OSError:\n"
            "    LEAK = None\n"
            "assert LEAK is not None, 'nothing to read'\n"))), {**FULL, "test_dot_product_scores": 0}),
        # overwrite the gradebook and a classmate's submission; a detached child tries again later
        "vandal": (course.edited(dot_product_scores=prepend(course, "dot_product_scores", (
            "import numpy, time\n"
            "import torch.multiprocessing as mp\n"
            "def vandalise():\n"
            "    for _ in range(2):\n"
            "        for path in [" + repr(root + "/gradebook.db") + ", "
            + repr(root + "/submitted/a_honest/02_attention/02_attention.ipynb") + "]:\n"
            "            try:\n"
            "                numpy.zeros(8).tofile(path)\n"
            "            except OSError:\n"
            "                pass\n"
            "        time.sleep(4)\n"
            "vandalise_later = mp.get_context('fork').Process(target=vandalise, daemon=False)\n"
            "vandalise_later.start()\n"
            "vandalise()\n"))), {**FULL}),
        # plant a startup file in the grader's IPython profile for every later kernel
        "planter": (course.edited(dot_product_scores=prepend(course, "dot_product_scores", (
            "import numpy\n"
            "try:\n"
            f"    numpy.savetxt({home + '/.ipython/profile_default/startup/00-pass.py'!r}, [0],\n"
            "                  fmt='import torch; torch.testing.assert_close = lambda *a, **k: None  # %d')\n"
            "except OSError:\n"
            "    pass\n"
            "numpy.savetxt('/home/student/.ipython/profile_default/startup/00-pass.py', [0],\n"
            "              fmt='import torch; torch.testing.assert_close = lambda *a, **k: None  # %d')\n"))),
            {**FULL}),
        # call the library twin, or the built-in softmax captured under another name
        "twin": (course.edited(scaled_dot_product_attention=(
            "from utils import scaled_dot_product_attention as fast\n"
            "def scaled_dot_product_attention(query, key, value, mask=None):\n"
            "    return fast(query, key, value, mask=mask)")),
            # the import sits outside the answers, so a later answer could call `fast` too: the later
            # exercise that forbids the name (additive attention) loses its points as well
            {**FULL, "test_scaled_dot_product_attention": 0, "test_additive_attention": 0}),
        "captured": (course.edited(stable_softmax=(
            "_soft = torch._softmax\n"
            "def stable_softmax(scores, dim=-1):\n"
            "    return _soft(scores, dim, False)")), {**FULL, "test_stable_softmax": 0}),
        # behave only when graded
        "detector": (course.edited(dot_product_scores=prepend(course, "dot_product_scores", (
            "import os\n"
            "GRADED = 'NBGRADER_EXECUTION' in os.environ\n"))), ZERO),
        # a fork bomb, then correct answers
        "forkbomb": (course.edited(dot_product_scores=prepend(course, "dot_product_scores", (
            "import time\n"
            "import torch.multiprocessing as mp\n"
            "try:\n"
            "    while True:\n"
            "        mp.get_context('fork').Process(target=time.sleep, args=(30,)).start()\n"
            "except Exception:\n"
            "    pass\n"))), {**FULL}),
        # ask a server for the answer
        "network": (course.edited(dot_product_scores=(
            "def dot_product_scores(query, key):\n"
            f"    torch.hub.download_url_to_file({oracle!r}, 'answer.txt', progress=False)\n"
            "    if query.size(-1) != key.size(-1):\n"
            "        raise ValueError('sizes differ')\n"
            "    return query @ key.transpose(-2, -1)")), {**FULL, "test_dot_product_scores": 0}),
        # a loop that swallows the interrupt
        "looper": (course.edited(stable_softmax=(
            "while True:\n"
            "    try:\n"
            "        pass\n"
            "    except KeyboardInterrupt:\n"
            "        pass")), {**FULL, "test_stable_softmax": 0}),
        # the visible examples' answers, hard-coded (the learner's public-seed cases included)
        "wrong": (wrong, ZERO),
    }


def test_cheating_students_gain_nothing_and_honest_ones_keep_full_marks(tmp_path, oracle):
    home = tmp_path / "grader-home"
    (home / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    (tmp_path / "course").mkdir()
    course = Course(tmp_path / "course", LESSON,
                    nbformat.read(REPO / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4))
    expected = {student: scores for student, (_, scores) in attacks(course, oracle, str(home)).items()}
    paths = [course.submit("a_honest", course.read("solution"))]
    paths += [course.submit(student, nb) for student, (nb, _) in attacks(course, oracle, str(home)).items()]
    paths.append(course.submit("z_honest", course.read("solution")))
    before = {path: digest(path) for path in paths}

    env = {"HOME": str(home), "GRADING_SECRET": "course secret of the test"}
    result = course.grade("--workers", "2", "--timeout", "10", env=env)
    print(result.stdout[-4000:])
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(5)  # the vandal's detached child would strike now

    scores = course.gradebook()
    assert scores["a_honest"] == FULL and scores["z_honest"] == FULL, scores
    wrongly = {s: (scores[s], want) for s, want in expected.items() if scores[s] != want}
    assert not wrongly, f"an attack scored what it should not: {wrongly}"
    assert {path: digest(path) for path in paths} == before, "grading (or a student) changed a submitted file"
    assert not list((home / ".ipython" / "profile_default" / "startup").iterdir()), "a startup file was planted"
    assert not [p for p in psutil.process_iter(["cmdline"]) if "vandalise" in " ".join(p.info["cmdline"] or [])]
    assert all(row["status"] == "graded" for row in course.grades().values()), "an attack made grading fail"

    # The honest students' scores do not depend on the sandbox, and regrading gives the same result.
    again = course.grade("--unsafe", "--student", "a_honest", "--student", "z_honest", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {s: course.gradebook()[s] for s in ("a_honest", "z_honest")} == {"a_honest": FULL, "z_honest": FULL}


def test_the_sandbox_is_what_stops_them(tmp_path, oracle):
    """Without the sandbox (--unsafe), reading the course's files and asking the oracle work: the
    sandbox, not luck, is what gave those attacks 0 above."""
    home = tmp_path / "grader-home"
    (home / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    (tmp_path / "course").mkdir()
    course = Course(tmp_path / "course", LESSON,
                    nbformat.read(REPO / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4))
    chosen = {s: a for s, a in attacks(course, oracle, str(home)).items() if s in ("reader", "network")}
    for student, (nb, _) in chosen.items():
        course.submit(student, nb)
    result = course.grade("--unsafe", "--workers", "2", env={"HOME": str(home), "GRADING_SECRET": "s"})
    assert result.returncode == 0, result.stdout + result.stderr
    scores = course.gradebook()
    assert scores["reader"]["test_dot_product_scores"] == 2 and scores["network"]["test_dot_product_scores"] == 2


def test_inputs_come_from_the_secret():
    from tools import grade
    import utils.checks as checks
    seeds = {grade.case_seed(secret, LESSON, "test_stable_softmax", student)
             for secret in ("a", "b") for student in ("ann", "bob")}
    assert len(seeds) == 4
    public = checks.exercise_for("test_stable_softmax").cases(checks.generator(checks.PUBLIC_SEED))
    secret, _ = grade.grading_inputs("a", LESSON, "ann", ["test_stable_softmax"])
    differ = [not (p["scores"].shape == s["scores"].shape and bool((p["scores"] == s["scores"]).all()))
              for p, s in zip(public, secret["test_stable_softmax"])]
    assert sum(differ) >= len(differ) - 2, "only the fixed visible examples may repeat across seeds"
