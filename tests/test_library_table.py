"""README's `utils` table maps one row to one module, and says what each module's first docstring line says."""
from tools.library_table import README, modules, readme_table, table


def test_every_module_says_what_it_holds_in_its_first_docstring_line():
    missing = [name for name, line in modules() if len(line) < 10 or not line.endswith(".")]
    assert not missing, f"modules whose first docstring line is not a sentence saying what they hold: {missing}"


def test_readme_table_is_the_generated_one():
    assert readme_table(README.read_text(encoding="utf-8")) == table(), (
        "README.md's utils table is out of date: run python -m tools.library_table --write")
