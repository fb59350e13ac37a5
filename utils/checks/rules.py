"""Rules on an answer's syntax tree: what it may not use.

Rules on an answer's syntax tree: what it may not use (a built-in it should write, its library twin,
code that reaches a name without spelling it).

Checked on the source, by the grader, outside the learner's interpreter: nothing the answer does at run
time (monkeypatching, input transformers) can change the verdict. What it cannot see: a forbidden
function reached through a helper the course itself provides; see README's grading section.
"""
from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator

# Reaching a name without spelling it: with these, any rule below could be walked around.
DYNAMIC_NAMES = {
    "getattr", "setattr", "delattr", "__import__", "exec", "eval", "compile", "globals", "locals", "vars",
    "open", "breakpoint", "input", "get_ipython", "sys", "os", "builtins", "importlib", "inspect",
    "subprocess", "ctypes", "gc", "operator", "pickle", "marshal", "types", "shutil", "pathlib", "io",
    "signal", "socket", "threading", "multiprocessing", "asyncio", "IPython",
}
DYNAMIC_ATTRIBUTES = {"modules", "getmembers", "attrgetter", "methodcaller", "f_globals", "f_locals", "f_back",
                      "tb_frame", "gi_frame", "cr_frame", "ag_frame", "system", "popen"}
ALLOWED_DUNDERS = {"__init__", "__call__", "__len__", "__getitem__", "__iter__", "__next__", "__repr__",
                   "__str__", "__name__", "__doc__", "__enter__", "__exit__", "__eq__", "__hash__",
                   "__contains__", "__post_init__"}
ALLOWED_IMPORTS = {"torch", "math", "numpy", "itertools", "functools", "collections", "typing", "dataclasses",
                   "string", "re", "heapq", "statistics", "random", "unicodedata", "copy", "bisect", "enum",
                   "abc", "utils", "tqdm", "matplotlib", "warnings", "time", "json", "textwrap", "fractions",
                   "decimal", "numbers", "__future__"}


def parse(source: str) -> ast.Module | None:
    """The syntax tree of a cell (IPython's magics turned into Python first), or None if it has none."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager  # Jupyter has it; plain Python may not
        source = TransformerManager().transform_cell(source)
    except ImportError:
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def dynamic_uses(tree: ast.AST) -> list[str]:
    """Constructs that reach names without spelling them, or leave the answer's sandbox of ideas."""
    problems, own = [], own_names(tree)  # a variable of its own called `signal` or `io` is not the module
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES and node.id not in own:
            problems.append(f"`{node.id}` (answers may not reach code by name or touch the system)")
        elif isinstance(node, ast.Attribute):
            if node.attr in DYNAMIC_ATTRIBUTES:
                problems.append(f"`.{node.attr}` (answers may not reach code by name)")
            elif node.attr.startswith("__") and node.attr not in ALLOWED_DUNDERS:
                problems.append(f"`.{node.attr}` (answers may not use Python's internals)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] not in ALLOWED_IMPORTS or (isinstance(node, ast.ImportFrom) and node.level):
                    problems.append(f"`import {module}` "
                                    f"(answers may import only {', '.join(sorted(ALLOWED_IMPORTS - {'__future__'}))})")
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                problems.append("`import *` (name what you import)")
    return problems


def used_names(tree: ast.AST) -> Iterator[tuple[str, str]]:
    """(identifier, how it is used) for every name, attribute and imported name in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id, "name"
        elif isinstance(node, ast.Attribute):
            yield node.attr, "attribute"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield alias.name.split(".")[-1], "import"
                for part in alias.name.split("."):
                    yield part, "import"
            if isinstance(node, ast.ImportFrom) and node.module:
                for part in node.module.split("."):
                    yield part, "import"


def own_names(tree: ast.AST) -> set[str]:
    """Names the code binds itself (variables, arguments, its own functions): `softmax_sum = ...` is fine."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def forbidden_uses(source: str, forbidden: Collection[str] = (), allowed: Iterable[str] = (),
                   own: Iterable[str] = ()) -> list[str]:
    """What `source` uses that it may not: each forbidden word appearing (case-insensitive) in a name,
    attribute or import, unless the identifier is in `allowed`, or is in `own` (the notebook's own
    answers) and used as a plain name; and every dynamic construct."""
    tree = parse(source)
    if tree is None:
        return []  # a syntax error fails on its own when the cell runs
    problems = [f"it uses {p}" for p in dynamic_uses(tree)]
    allowed, own = set(allowed), own_names(tree) | set(own)
    for identifier, how in used_names(tree):
        if identifier in allowed or (identifier in own and how == "name"):
            continue
        for word in forbidden:
            if word.lower() in identifier.lower():
                problems.append(f"it uses `{identifier}`: this exercise asks you to write it without `{word}`")
    return list(dict.fromkeys(problems))
