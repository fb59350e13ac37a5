"""Grade every submitted student of a lesson: fairly, in parallel, failures reported (never silent zeros).

    python -m tools.grade LESSON                         # every student in submitted/*/LESSON/
    python -m tools.grade LESSON --student alice         # re-grade one student (repeatable)
    python -m tools.grade LESSON --workers 4             # local parallel workers (default: all cores)
    python -m tools.grade LESSON --scheduler tcp://host:8786   # an existing Dask cluster
    python -m tools.grade LESSON --db postgresql+psycopg2://user@host/course
    python -m tools.grade LESSON --secret-file ~/.course-secret   # the same secret inputs on every run
    python -m tools.grade LESSON --unsafe                # no bubblewrap here: student code runs as you

Run it from the course root (where nbgrader_config.py is), after `python -m tools.release LESSON`.
nbgrader stays the gradebook, feedback and exchange tool; this command adds what `nbgrader
autograde` lacks:

1. prepare (trusted, here): nbgrader's own sanitizing preprocessors restore locked test cells (and
   re-insert deleted ones); the notebook that runs is the instructor's lesson with the student's
   solution cells in place of the answers (nothing else a student wrote runs); before each test cell
   with a check in utils.checks a probe cell saves the answers' outputs on inputs drawn from the
   course secret (HMAC of secret, lesson, test, student), and the test cell itself does not run; after
   each test cell the reference version of that exercise is run, so exercise n is graded against
   reference helpers 1..n-1 (one typo costs one exercise); ungraded demo cells that nothing graded
   depends on are skipped; the answers' source is checked against each exercise's rules; a tamper
   report compares submitted test cells with the *released* ones.
2. execute (untrusted, on workers): tools/grade_worker.py runs each submission in a fresh kernel in a
   bubblewrap sandbox under memory, process, time and output limits, on a Dask cluster (a local one by
   default), and brings back the executed notebook and the probes' outputs as bytes.
3. score (trusted, here, the only gradebook writer): each checked exercise's outputs are loaded as
   data and judged (utils.checks), and the verdict becomes its test cell's output; then nbgrader's
   Autograde converter with that notebook in place of its Execute step; stderr and warnings cost no
   points. Then nbgrader feedback (verdicts, never the hidden code) and grades.csv with a status column.

A submission that could not be graded (kernel died, timed out, failed to start, a limit hit) gets
status `failed` and its reason, no score, and the command exits 1 listing them.
"""
import argparse
import ast
import csv
import hashlib
import hmac
import io
import logging
import os
import re
import secrets
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor, Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades,
                                    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from tools import grade_worker
from tools.grade_worker import GiB, Limits, sandbox_problem
from utils.checks.rules import parse  # a cell's syntax tree, IPython's magics turned into Python

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
VERDICT = "CheckFailed (grading's own inputs)"  # how a trusted verdict's error reads: no kernel wrote it


# --- the course ---------------------------------------------------------------------------------

def load_course(root, db_url=None):
    """nbgrader's configuration of the course at `root` (its nbgrader_config.py) and its CourseDirectory."""
    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    config.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and graded
    return config, CourseDirectory(config=config)


def notebook_path(coursedir, directory, lesson, student="."):
    return Path(coursedir.format_path(directory, student, lesson)) / f"{lesson}.ipynb"


def grade_cells(nb):
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")}


# --- 1. prepare (trusted) ----------------------------------------------------------------------

def tamper_report(submitted, released):
    """Test cells whose source differs from the released notebook, or that are missing: [note]."""
    def norm(source):
        lines = [line.rstrip() for line in source.strip().splitlines()]
        if HIDDEN_BEGIN in lines:  # the released cell has its hidden tests removed; so compare without them
            end = lines.index(HIDDEN_END) + 1 if HIDDEN_END in lines else len(lines)
            lines = lines[:lines.index(HIDDEN_BEGIN)] + lines[end:]
        return "\n".join(lines).strip()
    mine, theirs = grade_cells(submitted), grade_cells(released)
    edited = sorted(g for g in theirs if g in mine and norm(mine[g].source) != norm(theirs[g].source))
    deleted = sorted(g for g in theirs if g not in mine)
    notes = []
    if edited:
        notes.append(f"edited test cells (restored before grading): {', '.join(edited)}")
    if deleted:
        notes.append(f"deleted test cells (put back and graded): {', '.join(deleted)}")
    return notes


def cell_names(source):
    """(defined, needed) names of a code cell, or None if it cannot be parsed. `needed`: names the cell
    reads before it assigns them itself (statement by statement), so `q = ...; f(q)` needs no `q`."""
    tree = parse(source)
    if tree is None:
        return None
    defined, needed = set(), set()
    for statement in tree.body:
        stores, loads = set(), set()
        for node in ast.walk(statement):
            if isinstance(node, ast.Name):
                (stores if isinstance(node.ctx, (ast.Store, ast.Del)) else loads).add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        return None
                    stores.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
                base = node.value
                while isinstance(base, (ast.Attribute, ast.Subscript)):
                    base = base.value
                if isinstance(base, ast.Name):  # `model.x = ...` changes `model`: later uses depend on it
                    stores.add(base.id)
                    loads.add(base.id)
        needed |= loads - defined
        defined |= stores
    return defined, needed


def plan(nb, reference, checked=()):
    """Add a probe before each checked test cell and the reference versions after each test cell, mark
    exercise cells short, skip what grading does not need. Returns the number of skipped cells.

    A test cell whose exercise has a check (`checked`, from utils.checks) is not run: the probe saves
    the answers' outputs on the grader's inputs, and the trusted grader judges them."""
    reference_code = {c.metadata.nbgrader["grade_id"]: c.source for c in reference.cells
                      if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    cells, pending = [], []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution") and meta["grade_id"] in checked:
            cells.append(nbformat.v4.new_code_cell(
                f"import utils.checks as _grading_checks\n_grading_checks.probe({meta['grade_id']!r}, globals())",
                metadata={"grading": {"short": True, "probe_of": meta["grade_id"], "answers": list(pending)}}))
        cells.append(cell)
        if cell.cell_type != "code" or not (meta.get("solution") or meta.get("grade")):
            continue
        cell.metadata["grading"] = {"short": True}
        if meta.get("solution"):
            pending.append(meta["grade_id"])
            continue
        if meta["grade_id"] in checked:
            cell.metadata["grading"] = {"skip": True, "verdict": True}
        # After exercise n's test: bind the reference version of exercise n, so that exercise n+1's
        # answer and tests call a correct helper whatever the student wrote for n.
        for grade_id in pending:
            if grade_id in reference_code:
                cells.append(nbformat.v4.new_code_cell(
                    reference_code[grade_id], metadata={"grading": {"short": True, "reference_of": grade_id}}))
        pending = []
    nb.cells = cells

    # Keep the setup cell, exercise, probe and test cells, and (walking backwards) every cell that defines
    # a name a kept cell uses; skip the rest (demos, training, plots). Unparseable cells are kept.
    code = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("grading", {}).get("skip")]
    needed, skipped = set(), 0
    for cell in reversed(code):
        names = cell_names(cell.source)
        required = cell is code[0] or "grading" in cell.metadata or names is None
        if required or names[0] & needed:
            if names is not None:
                needed |= names[1]
            continue
        cell.metadata["grading"] = {"skip": True}
        skipped += 1
    return skipped


def trusted_cells(submitted, reference):
    """The notebook grading runs: the reference lesson's cells, with the student's solution cells in
    place of the reference answers. Cells a student added or edited outside the exercises do not run."""
    answers = {c.metadata.nbgrader["grade_id"]: c for c in submitted.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(reference)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            mine = answers.get(meta["grade_id"])
            cell.source = mine.source if mine is not None else ""
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


# --- secret inputs and trusted verdicts ------------------------------------------------------------------

def case_seed(secret, lesson, test, student):
    """The seed of one student's inputs for one exercise: from the course secret, never stored."""
    digest = hmac.new(secret.encode(), f"{lesson}/{test}/{student}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def grading_inputs(secret, lesson, student, tests):
    """{test: cases} drawn from the secret, and the same as bytes of a torch.save file for the kernel."""
    import torch
    import utils.checks as checks
    cases = {test: checks.exercise_for(test).cases(checks.generator(case_seed(secret, lesson, test, student)))
             for test in tests}
    buffer = io.BytesIO()
    torch.save(cases, buffer)
    return cases, buffer.getvalue()


def _without_answers(tree, answer_names):
    """A module's code without the definitions of the lesson's answers (judged by their own rules)."""
    tree.body = [node for node in tree.body if not (
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in answer_names)]
    return ast.unparse(tree)


def rule_failures(nb, checked):
    """{test: message} for answers that break their exercise's rules, read from the submitted source.

    Any solution cell that reaches code by name (getattr, get_ipython, sys.modules, ...) fails its own
    exercise and every later one (it could have prepared an alias for them). An exercise's forbidden
    words (a built-in to write yourself, the library twin) are looked for in its own solution cells and
    in the code of earlier solution cells outside the other answers' definitions."""
    import utils.checks as checks
    answer_names = {name for test in checked for name in checks.exercise_for(test).names}
    failures, earlier, dynamic = {}, [], None
    sources = {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        grading = cell.metadata.get("grading", {})
        if "probe_of" not in grading:
            continue
        test, exercise = grading["probe_of"], checks.exercise_for(grading["probe_of"])
        own = [sources[g] for g in grading["answers"] if g in sources]
        for source in own:
            tree = checks.parse(source)
            problems = checks.dynamic_uses(tree) if tree is not None else []
            if problems and dynamic is None:
                dynamic = problems[0]
        if dynamic is not None:
            failures[test] = f"an answer uses {dynamic}; this exercise and every later one get no points"
        else:
            for source in own:
                problems = checks.rules_of(exercise, source, own=tuple(answer_names))
                if problems:
                    failures[test] = f"this answer {problems[0].replace('it uses', 'uses', 1)}"
                    break
            for source in earlier:
                tree = checks.parse(source)
                rest = _without_answers(tree, answer_names) if tree is not None else ""
                problems = checks.rules_of(exercise, rest, own=tuple(answer_names)) if rest.strip() else []
                if problems and test not in failures:
                    failures[test] = f"code outside the answers {problems[0].replace('it uses', 'uses', 1)}"
        earlier += own
    return failures


def verdicts(cases, probes, rules):
    """{test: (passed, message)}: the trusted judgement of each checked exercise's outputs."""
    import torch
    import utils.checks as checks
    out = {}
    for test, test_cases in cases.items():
        if test in rules:
            out[test] = (False, rules[test])
            continue
        if test not in probes:
            out[test] = (False, "no result: the answer did not run to the end (an error, a timeout, or a "
                                "cell before it failed)")
            continue
        try:
            results = torch.load(io.BytesIO(probes[test]), weights_only=True)
            passed = checks.judge_results(checks.exercise_for(test), test_cases, results)
            out[test] = (True, f"passed: all {passed} checks on grading's own inputs")
        except checks.CheckFailed as failure:
            out[test] = (False, str(failure))
        except Exception as error:  # noqa: BLE001  (unreadable output: the answer's, not the grader's, fault)
            out[test] = (False, f"the answer's outputs could not be read: {type(error).__name__}: {str(error)[:200]}")
    return out


def apply_verdicts(nb, found):
    """Each checked test cell's outputs become its verdict (an error when failed), as nbgrader scores them."""
    for cell in nb.cells:
        test = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or test not in found or not cell.metadata.get("grading", {}).get("verdict"):
            continue
        passed, message = found[test]
        cell.metadata["verdict"] = {"passed": passed, "message": message}
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=message + "\n")] if passed else \
            [nbformat.v4.new_output("error", ename="CheckFailed", evalue=message, traceback=[f"{VERDICT}: {message}"])]


def prepare(config, coursedir, lesson, student, reference, released, checked=()):
    """(notebook to execute, its rule failures {test: message}, tamper notes, cells skipped) for one
    student; ValueError if the submission is unusable."""
    path = notebook_path(coursedir, coursedir.submitted_directory, lesson, student)
    if not path.is_file():
        raise ValueError(f"no {path.name} in {path.parent}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001  (any unreadable file is reported, not graded as 0)
        raise ValueError(f"unreadable notebook {path}: {error}") from error
    notes = tamper_report(nb, released)
    resources = {"nbgrader": {"notebook": lesson, "assignment": lesson, "student": student,
                              "db_url": coursedir.db_url}}
    for preprocessor in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        try:
            nb, resources = preprocessor(config=config).preprocess(nb, resources)
        except Exception as error:  # noqa: BLE001
            raise ValueError(f"{preprocessor.__name__}: {error}") from error
    nb = trusted_cells(nb, reference)
    skipped = plan(nb, reference, checked)
    return nb, rule_failures(nb, checked), notes, skipped


# --- 2. execute (on workers) ---------------------------------------------------------------------

def dask_client(workers, scheduler):
    """A Dask client: the given scheduler, or a local cluster of `workers` one-job threads."""
    from dask.distributed import Client, LocalCluster
    if scheduler:
        client = Client(scheduler, timeout="30s")
        # Dask's way to ship code: the scheduler and workers get tools/grade_worker.py, so a cluster
        # needs this Python environment, not this course folder.
        client.upload_file(grade_worker.__file__)
        return client
    # Threads suffice locally: each job waits on its own kernel process, where the CPU time goes.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=None,
                           memory_limit=0, silence_logs=logging.ERROR)
    return Client(cluster)


def shipped_worker():
    """tools/grade_worker.py as the top-level module `grade_worker`: the name under which Dask's upload_file
    makes it importable on a cluster's workers (which have no `tools` package), so that the jobs submitted
    refer to `grade_worker.execute`, not `tools.grade_worker.execute`."""
    import importlib.util
    module = sys.modules.get("grade_worker")
    if module is None:
        spec = importlib.util.spec_from_file_location("grade_worker", grade_worker.__file__)
        module = importlib.util.module_from_spec(spec)
        sys.modules["grade_worker"] = module
        spec.loader.exec_module(module)
    return module


def execute_all(jobs, limits, workers, scheduler):
    """{student: worker result}, as they finish; a lost worker is a failure with its reason.
    `jobs`: {student: (notebook json, probe inputs as bytes)}."""
    from dask.distributed import as_completed
    results = {}
    with dask_client(workers, scheduler) as client:
        execute = shipped_worker().execute if scheduler else grade_worker.execute
        futures = {client.submit(execute, notebook, asdict(limits), inputs,
                                 key=f"grade-{student}-{time.time_ns()}", pure=False, retries=0): student
                   for student, (notebook, inputs) in jobs.items()}
        for future in as_completed(futures):
            student = futures[future]
            try:
                results[student] = future.result()
            except Exception as error:  # noqa: BLE001  (a worker that died or was lost)
                results[student] = {"status": "failed", "reason": f"worker error: {type(error).__name__}: {error}",
                                    "notes": [], "cpu_s": 0.0, "wall_s": 0.0, "probes": {}}
            r = results[student]
            print(f"  {student}: {r['status']} {r['reason']} ({r.get('cpu_s', 0):.1f} CPU-s, "
                  f"{r.get('wall_s', 0):.1f} s)", flush=True)
        if not scheduler:
            client.cluster.close()
    return results


# --- 3. score (trusted, the one gradebook writer) -----------------------------------------------

class UseExecuted(Preprocessor):
    """In place of nbgrader's Execute: the notebook the worker executed, without the reference cells."""
    enabled = True  # nbconvert's preprocessors are off unless enabled
    executed = {}  # student -> NotebookNode, filled before the converter runs

    def preprocess(self, nb, resources):
        executed = self.executed[resources["nbgrader"]["student"]]
        executed.cells = [c for c in executed.cells
                          if not {"reference_of", "probe_of"} & set(c.metadata.get("grading", {}))]
        for cell in executed.cells:  # keep only the mark of a skipped cell: feedback leaves it out
            if cell.metadata.pop("grading", {}).get("skip"):
                cell.metadata["grading"] = {"skipped": True}
        return executed, resources


class StderrIsNotFailure(Preprocessor):
    """nbgrader scores a test cell 0 when it wrote to stderr; a warning or a log line is no error."""
    enabled = True  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                output.name = "stdout"
        return cell, resources


def write_gradebook(config, coursedir, lesson, results):
    """nbgrader's Autograde for each graded student, with the executed notebook in place of Execute."""
    config = Config(config)
    config.Autograde.autograde_preprocessors = [UseExecuted, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                                StderrIsNotFailure, SaveAutoGrades, AssignLatePenalties,
                                                CheckCellMetadata]
    config.Autograde.force = True
    for student, result in results.items():
        if result["status"] != "graded":
            continue
        UseExecuted.executed[student] = nbformat.reads(result["notebook"], as_version=4)
        coursedir.assignment_id, coursedir.student_id = lesson, student
        try:
            Autograde(coursedir=coursedir, config=config).start()
        except (Exception, SystemExit) as error:  # noqa: BLE001  (one student's problem must not stop the class)
            result.update(status="failed", reason=f"nbgrader could not score it: {type(error).__name__}: {error}")


class HiddenChecks(Preprocessor):
    """Feedback: a test cell's hidden part becomes a list of named checks with passed/failed/not run and
    the error's first line; its code is never shown. Ungraded code cells (demos), images (plots)
    and the lesson's prose (headings stay) are left out."""
    enabled = True

    def preprocess(self, nb, resources):
        # The learner has the lesson; feedback keeps its headings, exercises and tests (under 200 KB).
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or "nbgrader" in c.metadata]
        for cell in nb.cells:
            if cell.cell_type == "markdown" and "nbgrader" not in cell.metadata:
                cell.source = "\n".join(line for line in cell.source.splitlines() if line.startswith("#"))
        nb.cells = [c for c in nb.cells if c.source.strip()]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not any(m.startswith("image/") for m in o.get("data", {}))]
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            return cell, resources
        lines = cell.source.splitlines()
        error = next((o for o in cell.outputs if o.output_type == "error"), None)
        judged = (error is not None and error.get("traceback", [""])[0].startswith(VERDICT)) or any(
            o.output_type == "stream" and o.text.startswith("passed: all") for o in cell.outputs)
        if judged:  # a trusted verdict: the test cell did not run; grading ran the exercise's full check
            if HIDDEN_BEGIN in lines:
                lines = lines[:lines.index(HIDDEN_BEGIN)] + ["# hidden checks (not shown)"]
            cell.source = "\n".join(lines)
            return cell, resources
        failed_line = failing_line(error) if error else None
        if HIDDEN_BEGIN in lines:
            begin = lines.index(HIDDEN_BEGIN)
            end = lines.index(HIDDEN_END) if HIDDEN_END in lines else len(lines)
            checks = hidden_checks("\n".join(lines[begin + 1:end]), offset=begin + 1)
            report = []
            for number, (first, last) in enumerate(checks, 1):
                if failed_line is None or failed_line > last:
                    state = "passed"
                elif failed_line >= first:
                    state = f"FAILED: {error_line(error)}"
                else:
                    state = "not run"
                report.append(f"hidden check {number}: {state}")
            cell.source = "\n".join(lines[:begin] + [f"# {len(checks)} hidden checks (not shown)"])
            if error is not None and failed_line is not None and failed_line > begin:
                cell.outputs = [o for o in cell.outputs if o.output_type != "error"]
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="\n".join(report) + "\n"))
        if error is not None and error in cell.outputs:
            where = f" (line {failed_line})" if failed_line else ""
            error.traceback = [f"{error_line(error)}{where}"]  # no context lines: they could show hidden code
        return cell, resources


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failing_line(error):
    """The test cell's line that raised (IPython's 'Cell In[n], line k'), or None."""
    frames = re.findall(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", "\n".join(error.get("traceback", []))))
    return int(frames[0]) if frames else None


def error_line(error):
    message = f"{error.ename}: {error.evalue}".splitlines()[0]
    return message if len(message) <= 200 else message[:200] + "..."


def hidden_checks(code, offset):
    """[(first line, last line)] of each check (an assert or an assert_* call) in the hidden tests; a
    statement that is not a check belongs to the next check."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [(offset + 1, offset + code.count("\n") + 1)]
    checks, start = [], None
    for node in tree.body:
        start = start or node.lineno
        if isinstance(node, ast.Assert) or "assert" in ast.unparse(node).split("(")[0]:
            checks.append((offset + start, offset + node.end_lineno))
            start = None
    if start is not None:
        checks.append((offset + start, offset + tree.body[-1].end_lineno))
    return checks


def write_feedback(config, coursedir, lesson, results):
    """nbgrader's feedback for each graded student; a failure to write it is noted, the grade stands."""
    config = Config(config)
    config.GenerateFeedback.preprocessors = [GetGrades, HiddenChecks, CSSHTMLHeaderPreprocessor]
    config.GenerateFeedback.force = True
    for student, result in results.items():
        if result["status"] != "graded":
            continue
        coursedir.assignment_id, coursedir.student_id = lesson, student
        try:
            GenerateFeedback(coursedir=coursedir, config=config).start()
        except (Exception, SystemExit) as error:  # noqa: BLE001
            result["notes"].append(f"no feedback: {type(error).__name__}: {error}")


def scores(coursedir, lesson, student):
    """{grade_id: score} of a student's lesson from the gradebook."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        notebook = gradebook.find_submission_notebook(lesson, lesson, student)
        return {grade.name: grade.score for grade in notebook.grades}


def write_csv(path, lesson, rows):
    """grades.csv: one row per (student, lesson); rows of other lessons and students are kept."""
    old = []
    if path.is_file():
        with open(path, newline="") as f:
            old = [r for r in csv.DictReader(f) if (r["lesson"], r["student"]) not in {(lesson, s) for s in rows}]
    new = [{"student": s, "lesson": lesson, **row} for s, row in sorted(rows.items())]
    fields = ["student", "lesson", "status", "reason", "score", "max_score", "notes", "cpu_s", "wall_s"]
    fields += sorted({k for r in old + new for k in r} - set(fields))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fields, restval="")
        writer.writeheader()
        writer.writerows(sorted(old + new, key=lambda r: (r["lesson"], r["student"])))


# --- the command ----------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local workers (default: cores)")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786) instead of local workers")
    parser.add_argument("--db", help="gradebook URL (default: nbgrader_config.py's, sqlite:///gradebook.db)")
    parser.add_argument("--course-dir", type=Path, default=Path.cwd(), help="the course root (default: .)")
    parser.add_argument("--memory", type=float, default=Limits.memory_bytes / GiB, help="GiB per kernel (4)")
    parser.add_argument("--timeout", type=float, default=Limits.short_timeout,
                        help="seconds per exercise/test cell (30)")
    parser.add_argument("--wall-time", type=float, default=Limits.wall_time, help="seconds per submission (900)")
    parser.add_argument("--output-limit", type=int, default=Limits.output_limit, help="output bytes per submission")
    parser.add_argument("--csv", type=Path, help="where to write grades (default: COURSE/grades.csv)")
    parser.add_argument("--secret-file", type=Path,
                        help="file holding the course secret that draws each student's check inputs (default: "
                             "$GRADING_SECRET, else COURSE/.grading-secret, made on first use)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without a sandbox: student code then runs as you, with your files")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not args.unsafe and not args.scheduler and sandbox_problem():
        parser.error(f"cannot grade for credit without a sandbox: {sandbox_problem()}. Install it, or pass "
                     "--unsafe to grade anyway (student code then runs as you and can read your files).")
    secret = os.environ.get("GRADING_SECRET") if not args.secret_file else None
    if not secret:
        secret_file = args.secret_file or args.course_dir.resolve() / ".grading-secret"
        if not secret_file.is_file():  # first run: a random secret, kept so that regrading draws the same inputs
            secret_file.write_text(secrets.token_hex(32) + "\n")
            secret_file.chmod(0o600)
            print(f"new course secret in {secret_file} (keep it out of the repository and of students' reach)")
        secret = secret_file.read_text().strip()
        if not secret:
            parser.error(f"{secret_file} is empty")

    # nbgrader 0.9.6 with SQLAlchemy 2.x: harmless autoflush noise
    warnings.filterwarnings("ignore", category=SAWarning)
    # nbgrader calls `alembic` from this environment's bin/; kernels get one PyTorch thread each.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    os.environ["OMP_NUM_THREADS"] = "1"
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # nbgrader's per-cell chatter; we report below
    root = args.course_dir.resolve()
    config, coursedir = load_course(root, args.db)
    config.Application.log_level = "ERROR"
    lesson = args.lesson
    limits = Limits(memory_bytes=int(args.memory * GiB), short_timeout=args.timeout, wall_time=args.wall_time,
                    output_limit=args.output_limit, sandbox=not args.unsafe)

    reference_path = notebook_path(coursedir, coursedir.source_directory, lesson)
    released_path = notebook_path(coursedir, coursedir.release_directory, lesson)
    if not reference_path.is_file():
        parser.error(f"no lesson {lesson!r}: {reference_path} does not exist")
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
            gradebook.find_assignment(lesson)
    except MissingEntry:
        parser.error(f"{lesson} is not in the gradebook {coursedir.db_url}: "
                     f"run `python -m tools.release {lesson}` first")
    if not released_path.is_file():
        parser.error(f"no released notebook {released_path}: run `python -m tools.release {lesson}` first")
    reference, released = (nbformat.read(p, as_version=4) for p in (reference_path, released_path))

    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    students = args.student or sorted(p.parent.name for p in submitted.glob(f"*/{lesson}") if p.is_dir())
    if not students:
        parser.error(f"no submissions of {lesson} in {submitted}/<student>/{lesson}/")
    missing = [s for s in students if not (submitted / s / lesson).is_dir()]
    if missing:
        parser.error(f"no submission of {lesson} from {', '.join(missing)} (looked in {submitted}/<student>/{lesson}/)")

    import utils.checks as checks
    tests = list(grade_cells(reference))
    checked = [t for t in tests if t in checks.EXERCISES]
    print(f"grading {lesson}: {len(students)} students on {args.scheduler or f'{args.workers} local workers'}, "
          f"{'in a sandbox each' if limits.sandbox else 'WITHOUT a sandbox (--unsafe)'}", flush=True)
    if len(checked) < len(tests):
        print(f"  {len(tests) - len(checked)} test cells have no check in utils.checks: their own code decides "
              f"them, inside the student's kernel ({', '.join(t for t in tests if t not in checked)})", flush=True)
    started = time.monotonic()
    jobs, notes, results, cases, rules = {}, {}, {}, {}, {}
    for student in students:
        try:
            nb, rules[student], notes[student], skipped = prepare(config, coursedir, lesson, student, reference,
                                                                  released, checked)
            cases[student], inputs = grading_inputs(secret, lesson, student, checked)
            jobs[student] = (nbformat.writes(nb), inputs)
        except ValueError as error:
            results[student] = {"status": "failed", "reason": f"cannot grade: {error}", "notes": [],
                                "cpu_s": 0.0, "wall_s": 0.0, "probes": {}}
            notes[student] = []
    if jobs:
        print(f"  {skipped} ungraded cells skipped per student (nothing graded depends on them)", flush=True)
        results.update(execute_all(jobs, limits, args.workers, args.scheduler))
    for student, result in results.items():  # the trusted verdicts, judged here from the outputs as data
        if result["status"] == "graded" and student in cases:
            nb = nbformat.reads(result["notebook"], as_version=4)
            apply_verdicts(nb, verdicts(cases[student], result.get("probes", {}), rules[student]))
            result["notebook"] = nbformat.writes(nb)

    executed = time.monotonic()
    write_gradebook(config, coursedir, lesson, results)
    graded = [s for s in students if results[s]["status"] == "graded"]
    scored = time.monotonic()
    write_feedback(config, coursedir, lesson, results)
    print(f"  execute {executed - started:.1f} s, gradebook {scored - executed:.1f} s, "
          f"feedback {time.monotonic() - scored:.1f} s", flush=True)

    maximum = sum(c.metadata.nbgrader["points"] for c in grade_cells(reference).values())
    rows = {}
    for student in students:
        r = results[student]
        row = {"status": r["status"], "reason": r["reason"], "max_score": maximum,
               "notes": "; ".join(notes[student] + r["notes"]), "cpu_s": f"{r['cpu_s']:.1f}",
               "wall_s": f"{r['wall_s']:.1f}"}
        if r["status"] == "graded":
            per_test = scores(coursedir, lesson, student)
            row.update(per_test, score=sum(per_test.values()))
        rows[student] = row
        if row["notes"]:
            print(f"  {student}: {row['notes']}")
    write_csv(args.csv or root / "grades.csv", lesson, rows)

    failed = [s for s in students if results[s]["status"] != "graded"]
    cpu = [results[s]["cpu_s"] for s in graded]
    print(f"{len(graded)} graded, {len(failed)} failed in {time.monotonic() - started:.0f} s"
          + (f"; {sum(cpu) / len(cpu):.1f} kernel CPU-s per student" if cpu else ""))
    if failed:
        print("FAILED (not graded, no score given):")
        for student in failed:
            print(f"  {student}: {results[student]['reason']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
