"""Exercise checks shared by the learner's self-check and grading: inputs, the call, a judge that teaches.

    utils.checks.check("test_stable_softmax", globals())   # in a lesson: the full check on public inputs

Grading (tools/grade.py) runs `probe` in the sandboxed kernel and `judge_results` in the trusted process,
on inputs drawn from a course secret. One module per lesson (a package of topic modules where it is long)
registers its exercises in `EXERCISES`.
"""
from . import lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08  # noqa: F401  (registers the lessons' exercises)
from .compare import expect_equal, expect_number, expect_tensor, expect_tuple
from .core import (EXERCISES, PUBLIC_SEED, CheckFailed, Exercise, check, describe, exercise_for, generator,
                   judge_results, probe, register, rules_of, run_cases, to_data)
from .rules import dynamic_uses, forbidden_uses, parse

__all__ = ["EXERCISES", "PUBLIC_SEED", "CheckFailed", "Exercise", "check", "describe",
           "dynamic_uses", "exercise_for", "expect_equal", "expect_number", "expect_tensor", "expect_tuple",
           "forbidden_uses", "generator", "judge_results", "parse", "probe", "register", "rules_of",
           "run_cases", "to_data"]
