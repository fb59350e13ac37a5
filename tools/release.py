"""Regenerate every student notebook in notebooks/ from its instructor version in solutions/.

    python -m tools.release                 # all lessons
    python -m tools.release 02_attention    # some

This is `nbgrader generate_assignment <lesson> --force` for each lesson, run from the repository
root with nbgrader_config.py: solution regions become "YOUR CODE HERE" stubs, hidden tests and
outputs are removed. Never edit notebooks/ by hand; edit solutions/ and run this.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def lessons():
    """Every lesson name: solutions/NN_name/NN_name.ipynb."""
    return sorted(p.parent.name for p in REPO.glob("solutions/*/*.ipynb") if p.stem == p.parent.name)


def release(names, release_dir=None, db_url=None):
    """Run nbgrader generate_assignment for each lesson; optionally into another folder and gradebook."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])}  # nbgrader runs `alembic`
    options = []
    if release_dir is not None:
        options.append(f"--CourseDirectory.release_directory={release_dir}")
    if db_url is not None:
        options.append(f"--db={db_url}")
    for name in names:
        subprocess.run([str(bin_dir / "nbgrader"), "generate_assignment", name, "--force",
                        "--log-level=WARN", *options],
                       cwd=REPO, env=env, check=True)
        drop_widget_state(REPO / (release_dir or "notebooks") / name / f"{name}.ipynb")


def drop_widget_state(path):
    """The instructor's saved widget state means nothing to a learner (JupyterLab logs 'model not found')."""
    import nbformat
    if not path.is_file():
        return
    nb = nbformat.read(path, as_version=4)
    if nb.metadata.pop("widgets", None) is not None:
        nbformat.write(nb, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help=f"default: all of {', '.join(lessons())}")
    parser.add_argument("--release-dir", help="write the student versions here instead of notebooks/ (tests)")
    parser.add_argument("--db", help="gradebook URL instead of ./gradebook.db (tests)")
    args = parser.parse_args()
    unknown = set(args.lessons) - set(lessons())
    if unknown:
        parser.error(f"no such lesson {sorted(unknown)}; lessons: {lessons()}")
    release(args.lessons or lessons(), args.release_dir, args.db)


if __name__ == "__main__":
    main()
