"""The exercise checks (utils.checks): the reference answers pass, typical mistakes and cheats fail with a
message that names the problem, and every test cell of every lesson has a check.

Each lesson's checks are utils/checks/lessonNN.py or the package utils/checks/lessonNN/. Its typical mistakes are in
tests/mistakes/NN_name.py (at least two per exercise), its cheats in tests/cheats/NN_name/ (one per file).
"""
import importlib.util
import linecache

import nbformat
import pytest

import cheats
from course import LESSONS, REPO
from utils import checks

PRELUDE = "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport utils\n"
COVERED = LESSONS


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_source(source, namespace, name):
    """exec `source` into `namespace` with its text in linecache, so that inspect.getsource finds it."""
    filename = f"<answer {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)


def notebook(lesson):
    return nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)


def solution_cells(lesson):
    return {c.metadata.nbgrader["grade_id"]: c.source for c in notebook(lesson).cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}


def graded_cells(lesson):
    return [c.metadata.nbgrader["grade_id"] for c in notebook(lesson).cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]


def reference_namespace(lesson):
    namespace = {}
    run_source(PRELUDE, namespace, f"{lesson} prelude")
    for grade_id, source in solution_cells(lesson).items():
        run_source(source, namespace, f"{lesson} {grade_id}")
    return namespace


def exercises(lesson):
    return [test for test in graded_cells(lesson) if test in checks.EXERCISES]


def test_every_lesson_has_a_checks_module():
    checks_dir = REPO / "utils" / "checks"
    missing = [lesson for lesson in LESSONS if not (checks_dir / f"lesson{lesson[:2]}.py").is_file()
               and not (checks_dir / f"lesson{lesson[:2]}" / "__init__.py").is_file()]
    assert LESSONS and not missing, f"no utils/checks module for {missing}"


@pytest.mark.parametrize("lesson", COVERED)
def test_every_test_cell_of_a_covered_lesson_has_a_check(lesson):
    missing = [test for test in graded_cells(lesson) if test not in checks.EXERCISES]
    assert not missing, f"{lesson}: no check registered for {missing}"


@pytest.mark.parametrize("lesson", COVERED)
@pytest.mark.parametrize("seed", [checks.PUBLIC_SEED, 20261203])
def test_reference_answers_pass(lesson, seed, capsys):
    namespace = reference_namespace(lesson)
    for test in exercises(lesson):
        assert checks.check(test, namespace, seed=seed) > 0
    assert "checks passed" in capsys.readouterr().out


def mistakes_of(lesson):
    path = REPO / "tests" / "mistakes" / f"{lesson}.py"
    return load(path).MISTAKES if path.is_file() else {}


@pytest.mark.parametrize("lesson", COVERED)
def test_at_least_two_typical_mistakes_per_exercise(lesson):
    mistakes = mistakes_of(lesson)
    few = {test: len(mistakes.get(test, [])) for test in exercises(lesson) if len(mistakes.get(test, [])) < 2}
    assert not few, f"{lesson}: fewer than two typical mistakes for {few}"


def _mistake_params():
    for lesson in COVERED:
        for test, items in mistakes_of(lesson).items():
            for name, source, phrase in items:
                yield pytest.param(lesson, test, source, phrase, id=f"{lesson[:2]}-{test}-{name}")


@pytest.mark.parametrize("lesson, test, source, phrase", list(_mistake_params()))
def test_typical_mistake_fails_with_a_message_that_names_it(lesson, test, source, phrase):
    namespace = dict(reference_namespace(lesson))
    run_source(source, namespace, f"{lesson} mistake in {test}")
    with pytest.raises(checks.CheckFailed) as failure:
        checks.check(test, namespace)
    message = str(failure.value)
    assert phrase.lower() in message.lower(), f"the message does not name the mistake ({phrase!r}): {message}"
    assert "values differ from the reference" not in message or phrase in message


def _cheat_params():
    for lesson in COVERED:
        for cell, (test, source) in cheats.load(lesson).items():
            yield pytest.param(lesson, test, source, id=f"{lesson[:2]}-{cell}")


@pytest.mark.parametrize("lesson, test, source", list(_cheat_params()))
def test_cheat_that_passes_the_visible_test_fails_the_check(lesson, test, source):
    namespace = dict(reference_namespace(lesson))
    run_source(source, namespace, f"{lesson} cheat in {test}")
    with pytest.raises(checks.CheckFailed):
        checks.check(test, namespace)


def test_rules_see_through_aliases_and_dynamic_access():
    forbidden = ("softmax",)
    assert checks.forbidden_uses("def f(s):\n    return s.softmax(-1)", forbidden)
    assert checks.forbidden_uses("from torch import softmax as sm\ndef f(s):\n    return sm(s, -1)", forbidden)
    assert checks.forbidden_uses("def f(s):\n    return getattr(torch, 'soft' + 'max')(s, -1)", forbidden)
    assert checks.forbidden_uses("def f(s):\n    return torch.__dict__['softmax'](s, -1)", forbidden)
    assert checks.forbidden_uses("import importlib\nm = importlib.import_module('torch')", ())
    assert checks.forbidden_uses("get_ipython().input_transformers_cleanup.append(lambda l: l)", ())
    honest = ("def f(scores, dim=-1):\n    softmax_sum = torch.exp(scores).sum(dim, keepdim=True)\n"
              "    return torch.exp(scores) / softmax_sum")
    assert checks.forbidden_uses(honest, forbidden) == []


def test_an_exercise_may_carry_its_library_twins_name():
    """Lesson 06's exercises are named like their library twins (pad_batch, length_sorted_batches, ...): the
    learner's own definition, and calls of it, are allowed; reaching the library's version is not."""
    forbidden = ("pad_batch", "pad_sequence")
    own = ("def pad_batch(sequences, pad_id=0):\n    return [list(s) for s in sequences]\n\n"
           "ids = pad_batch([[1], [2, 3]])")
    assert checks.forbidden_uses(own, forbidden) == []
    assert checks.forbidden_uses(own, forbidden, own=("pad_batch",)) == []
    for reaching in ("def pad_batch(sequences, pad_id=0):\n    return utils.pad_batch(sequences, pad_id)",
                     "def pad_batch(sequences, pad_id=0):\n    return pipelines.pad_batch(sequences, pad_id)",
                     "def pad_batch(sequences, pad_id=0):\n    return utils.batching.pad_batch(sequences, pad_id)",
                     "from utils import pad_batch",
                     "from utils.batching import pad_batch as pb\ndef f(s):\n    return pb(s)",
                     "def pad_batch(sequences, pad_id=0):\n    f = utils.pad_batch\n    return f(sequences)"):
        assert checks.forbidden_uses(reaching, forbidden, own=("pad_batch",)), reaching
