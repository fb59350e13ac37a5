"""Demos never depend on an exercise: after each exercise the lesson goes on with the tested `utils`
version (or its own lesson code), so a learner who skips or botches an exercise keeps every plot and
experiment. Read from the syntax tree: no ungraded cell reads a name whose latest definition, at
that point of the lesson, is a solution cell's."""
import ast

import nbformat
import pytest

from course import LESSONS, REPO
from utils.checks import parse


def module_level_names(tree):
    """Names a cell defines for the cells after it: its top-level functions, classes, assignments, imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)] + [
                item.optional_vars for item in getattr(node, "items", [])]
            for target in filter(None, targets):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def free_names(tree):
    """Names a cell reads that it does not bind itself."""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_demo_reads_a_learners_answer(lesson):
    nb = nbformat.read(REPO / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    source_of, problems = {}, []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        tree = parse(cell.source) if cell.cell_type == "code" else None
        if tree is None:
            continue
        if meta.get("solution"):
            source_of.update({name: meta["grade_id"] for name in module_level_names(tree)})
        elif not meta.get("grade"):
            uses = sorted(n for n in free_names(tree) if n in source_of)
            if uses:
                problems.append(f"code cell {index} reads {uses} from exercise(s) "
                                f"{sorted({source_of[n] for n in uses})}")
            for name in module_level_names(tree):
                source_of.pop(name, None)
    assert not problems, f"{lesson}: demos depend on the learner's answers: {problems}"
