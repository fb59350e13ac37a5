"""The README's table of the `utils` library: one row per module, its first docstring line.

    python -m tools.library_table            # print the table
    python -m tools.library_table --write    # replace the table in README.md

tests/test_library_table.py fails when README's table differs from this one, so a new or renamed
module, or a module whose docstring changed, shows up in review.
"""
import argparse
import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
HEADER = "| module | what it holds |\n|---|---|\n"
START = "## The `utils` library\n\n"


def modules(root: Path = REPO / "utils") -> list[tuple[str, str]]:
    """(dotted name, first docstring line) for every module and package of utils, in sorted order."""
    rows = []
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts or path.name.startswith("_") and path.name != "__init__.py":
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        rows.append((".".join(parts), doc.strip().split("\n")[0]))
    return sorted(rows)


def table() -> str:
    return HEADER + "".join(f"| `{name}` | {line.replace('|', '/')} |\n" for name, line in modules())


def readme_table(text: str) -> str:
    """The table that follows the `utils` library heading in README's text."""
    match = re.search(re.escape(START) + r"((?:\|.*\n)+)", text)
    if match is None:
        raise ValueError(f"README.md has no table right after {START.strip()!r}")
    return match.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace README.md's table")
    args = parser.parse_args()
    if not args.write:
        print(table(), end="")
        return
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(START + readme_table(text), START + table()), encoding="utf-8")
    print(f"README.md: {len(modules())} modules")


if __name__ == "__main__":
    main()
