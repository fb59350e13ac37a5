"""Answers that pass a lesson's visible test but are wrong: the hidden tests (and the checks) must give them 0.

One cheat per file, tests/cheats/<lesson>/<solution cell grade_id>.py: a docstring (what the cheat does), a
`# CHEATS: <test cell grade_id>` line, then the cheating source of the solution cell. The names it uses
(torch, math, the lesson's helpers) come from the lesson's namespace, not from imports.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(lesson):
    """{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}; {} if none."""
    cheats = {}
    for path in sorted((HERE / lesson).glob("*.py")):
        docstring, marker = path.read_text().split("\n# CHEATS: ", 1)
        test, source = marker.split("\n", 1)
        assert docstring.startswith('"""') and docstring.endswith('"""'), f"{path}: not a cheat file"
        cheats[path.stem] = (test.strip(), "\n" + source)
    return cheats
