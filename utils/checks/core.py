"""Exercise checks: one `Exercise` per graded test cell, run by the learner (public seed) and by grading.

An exercise check has three halves, kept apart so that grading can run them in different places:

    cases(generator)      -> [case, ...]   inputs, drawn from a generator: seed 0 for the learner,
                                           a course secret for grading (trusted side)
    call(*answers, case)  -> output        runs the learner's code on one case (sandboxed in grading)
    judge(output, case)                    decides: raises CheckFailed with a message that teaches
                                           (trusted side; never sees the learner's objects, only data)

A case is a dict of tensors, numbers, strings and lists (what `torch.load(weights_only=True)` reads);
`case["raises"] = "ValueError"` means the answer must raise that error. Outputs travel as the same data.
"""
from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ..runtime import preserved_random_state
from .rules import forbidden_uses

PUBLIC_SEED = 0
MAX_ERROR_CHARS = 400


class CheckFailed(AssertionError):
    """An answer gave a wrong result; the message says what was expected and, if it can tell, why."""


@dataclass(frozen=True)
class Exercise:
    test: str                                     # the nbgrader test cell it decides: "test_stable_softmax"
    names: tuple[str, ...]                        # what the learner defines: ("stable_softmax",)
    cases: Callable[[torch.Generator], list[dict]]
    call: Callable[..., Any]                      # (*answers, case) -> output
    judge: Callable[[Any, dict], None]            # (output, case) -> None, or raises CheckFailed
    forbidden: tuple[str, ...] = ()               # names an answer may not use (built-ins it asks you to write,
                                                  # its library twin)
    allowed: tuple[str, ...] = ()                 # names that contain a forbidden word but are fine ("stable_softmax")
    on_error: Callable[[dict, str], str] | None = None  # (case, the answer's error) -> a hint, or ""


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    if exercise.test in EXERCISES:
        raise ValueError(f"two checks for the test cell {exercise.test!r}")
    EXERCISES[exercise.test] = exercise
    return exercise


def exercise_for(test: str) -> Exercise:
    try:
        return EXERCISES[test]
    except KeyError:
        raise KeyError(f"no check for the test cell {test!r}; known: {sorted(EXERCISES)}") from None


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) % 2 ** 63)


def randn(g: torch.Generator, *shape: int, scale: float = 1.0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A case's normal tensor of `shape`, drawn from the case generator `g`."""
    return scale * torch.randn(*shape, generator=g, dtype=dtype)


def randint(g: torch.Generator, low: int, high: int) -> int:
    """A case's integer in [low, high), drawn from the case generator `g`."""
    return int(torch.randint(low, high, (1,), generator=g))


# --- the untrusted half: run the learner's answers on the cases -----------------------------------------

def to_data(value: Any) -> Any:
    """An answer's output as plain data (tensors, numbers, strings, lists, dicts); TypeError otherwise."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(to_data(v) for v in value)
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    raise TypeError(f"the answer returned a {type(value).__name__}, which the check cannot read")


def run_cases(exercise: Exercise, answers: list, cases: list[dict]) -> list[dict]:
    """[{"output": data} or {"error": "Type: message"}] for each case; never raises for the answer's errors."""
    results = []
    for case in cases:
        try:
            results.append({"output": to_data(exercise.call(*answers, _copy(case)))})
        except Exception as error:  # noqa: BLE001  (the answer's own error is a result, judged later)
            message = f"{type(error).__name__}: {error}"
            results.append({"error": message[:MAX_ERROR_CHARS]})
    return results


def _copy(case):
    """A case the answer may modify in place without changing what the judge sees."""
    if isinstance(case, torch.Tensor):
        return case.clone()
    if isinstance(case, dict):
        return {k: _copy(v) for k, v in case.items()}
    if isinstance(case, (list, tuple)):
        return type(case)(_copy(v) for v in case)
    return case


def answers_from(exercise: Exercise, namespace: dict) -> list:
    missing = [name for name in exercise.names if name not in namespace]
    if missing:
        raise CheckFailed(f"{', '.join(missing)} is not defined: run the exercise's cell first")
    return [namespace[name] for name in exercise.names]


def probe(test: str, namespace: dict, inputs: str = "grading-inputs.pt", outputs: str | None = None) -> None:
    """Grading's probe cell: run the answers on the cases in `inputs`, save their outputs as data."""
    exercise = exercise_for(test)
    cases = torch.load(inputs, weights_only=True)[test]
    try:
        results = run_cases(exercise, answers_from(exercise, namespace), cases)
    except CheckFailed as missing:
        results = [{"error": f"NameError: {missing}"}] * len(cases)
    torch.save(results, outputs or f"grading-outputs-{test}.pt")


# --- the trusted half: decide -----------------------------------------------------------------------------

def judge_results(exercise: Exercise, cases: list[dict], results: list[dict]) -> int:
    """Raise CheckFailed at the first case the answer gets wrong; return the number of cases passed."""
    if not isinstance(results, list) or len(results) != len(cases):
        raise CheckFailed(f"the answer produced no usable result for the {len(cases)} cases")
    for number, (case, result) in enumerate(zip(cases, results), 1):
        if not isinstance(result, dict):
            raise CheckFailed(f"case {number}: the answer produced no usable result")
        expected_error = case.get("raises")
        if expected_error:
            if "error" not in result:
                raise CheckFailed(f"case {number}: {describe(case)} should raise a {expected_error}; "
                                  "the answer returned a value instead")
            if not str(result["error"]).startswith(f"{expected_error}:"):
                raise CheckFailed(f"case {number}: {describe(case)} should raise a {expected_error}; "
                                  f"the answer raised {result['error']}")
            continue
        if "error" in result:
            hint = exercise.on_error(case, str(result["error"])) if exercise.on_error else ""
            raise CheckFailed(f"case {number} ({describe(case)}): the answer raised {result['error']}"
                              + (f". {hint}" if hint else ""))
        try:
            exercise.judge(result.get("output"), case)
        except CheckFailed as failure:
            raise CheckFailed(f"case {number} ({describe(case)}): {failure}") from None
        except Exception as error:  # noqa: BLE001  (an output of the wrong kind: a failed check, not a crash)
            raise CheckFailed(f"case {number} ({describe(case)}): the output is not what the exercise asks for "
                              f"({type(error).__name__}: {str(error)[:200]})") from None
    return len(cases)


def describe(case: dict) -> str:
    """A short description of a case: its tensors' shapes and its small values."""
    parts = []
    for key, value in case.items():
        if key in ("raises", "note"):
            continue
        if isinstance(value, torch.Tensor):
            parts.append(f"{key} {tuple(value.shape)}" if value.numel() > 4 else f"{key}={value.tolist()}")
        elif isinstance(value, (int, float, bool, str)) or value is None:
            parts.append(f"{key}={value!r}")
    if "note" in case:
        parts.append(str(case["note"]))
    return ", ".join(parts)


def rules_of(exercise: Exercise, source: str, own: Iterable[str] = ()) -> list[str]:
    """What `source` (an answer's code) uses that the exercise forbids: [message]. `own`: the lesson's
    answer names, fine as plain names (they call the notebook's version, not the library's)."""
    return forbidden_uses(source, exercise.forbidden, allowed=exercise.allowed, own=own)


# --- the learner's check ------------------------------------------------------------------------------------

def check(test: str, namespace: dict, seed: int = PUBLIC_SEED) -> int:
    """Run an exercise's full check (the checks grading runs) on inputs from a public seed.

    Prints how many cases passed, or raises CheckFailed saying what went wrong. Grading draws its own
    inputs from a secret seed, so an answer that fits these cases only still loses the points."""
    exercise = exercise_for(test)
    answers = answers_from(exercise, namespace)
    for name, answer in zip(exercise.names, answers):
        try:
            source = textwrap.dedent(inspect.getsource(answer))
        except (OSError, TypeError):
            continue
        problems = rules_of(exercise, source, own=exercise.names)
        if problems:
            raise CheckFailed(f"{name}: {problems[0]}")
    cases = exercise.cases(generator(seed))
    with preserved_random_state():  # the lesson's own random numbers are the same with or without the check
        passed = judge_results(exercise, cases, run_cases(exercise, answers, cases))
    print(f"{' and '.join(exercise.names)}: all {passed} checks passed (the same checks as grading, on public inputs)")
    return passed


__all__ = ["CheckFailed", "Exercise", "EXERCISES", "PUBLIC_SEED", "check", "describe",
           "exercise_for", "generator", "judge_results", "probe", "randint", "randn", "register", "rules_of",
           "run_cases", "to_data"]
