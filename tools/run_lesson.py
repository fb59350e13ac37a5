"""Execute lesson notebooks in place, so that their committed outputs are the ones nbval checks.

    python -m tools.run_lesson solutions/01_why_transformers/01_why_transformers.ipynb [...]
    python -m tools.run_lesson --all
    python -m tools.run_lesson --no-execute solutions/02_attention/02_attention.ipynb   # only sync the pair

Each notebook runs in its own folder, as JupyterLab and nbval run it, and the time it took is printed
(every lesson must finish in under two minutes on a 2-core CPU).

Every lesson is a pair: NN_name.ipynb (with outputs, what learners and nbval use) and NN_name.py, its
jupytext py:percent text form (sources and nbgrader cell metadata, what a reviewer reads in a diff; see
solutions/jupytext.toml). Edit either one: before running, the inputs of the edited file of the pair are
taken (the one that holds neither what this command last wrote, recorded in the git folder, nor what git's
HEAD holds; without git, the newer file), and afterwards both files are rewritten, so they agree again.
When both were edited, differently, it refuses rather than drop one of the edits.

What is written is reviewable: no per-cell execution timestamps, no saved widget state (nor the widget
views that point into it, whose text fallback nbval still compares), adjacent prints to one stream as one
output, and figures as 256-colour PNGs.
"""
import argparse
import base64
import hashlib
import io
import json
import subprocess
import time
from pathlib import Path

import jupytext
import nbformat
from jupytext.combine import combine_inputs_with_outputs
from jupytext.config import load_jupytext_config
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
TEXT_FORMAT = {"extension": ".py", "format_name": "percent"}
TIMING_METADATA = ("execution", "ExecuteTime")  # nbclient's and jupyterlab-execute-time's per-cell timestamps
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # a random model id into the (dropped) widget state


def text_path(path):
    """The text form paired with a lesson notebook: NN_name.py beside NN_name.ipynb."""
    return Path(path).with_suffix(".py")


def to_text(nb, path):
    """The py:percent text of a notebook, as jupytext writes it with the lesson folder's configuration."""
    return jupytext.writes(nb, TEXT_FORMAT, config=load_jupytext_config(str(Path(path).resolve())))


def inputs(nb):
    """What the text form holds of a notebook: each cell's type, source and nbgrader metadata."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


class BothEdited(SystemExit):
    """Both files of a pair were edited since they last agreed, and differently: taking either would lose the
    other's edit."""


def git_path(path, name):
    """A file inside the git folder of `path`'s checkout (never committed nor released), or None without git."""
    path = Path(path).resolve()
    try:
        result = subprocess.run(["git", "rev-parse", "--git-path", name], cwd=path.parent, capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path.parent / result.stdout.strip() if result.returncode == 0 else None


def digest(cells):
    """A fingerprint of a pair's inputs (metadata keys sorted: nbformat writes them sorted)."""
    return hashlib.sha1(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def sync_record(path):
    """Where this checkout remembers the inputs of a pair's last sync: in its git folder, or None without git."""
    return git_path(path, f"run-lesson/{Path(path).stem}.inputs")


def record_sync(path, nb):
    """Remember the inputs both files of the pair hold now, to tell later which of them was edited."""
    record = sync_record(path)
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(digest(inputs(nb)))


def agreed_states(path):
    """Digests of the inputs the pair last agreed on: at this checkout's last sync (recorded in the git
    folder) and at git's HEAD. Empty without git. A file holding either is unedited: after a sync, and
    after `git checkout` of that file."""
    states = set()
    record = sync_record(path)
    if record is not None and record.is_file():
        states.add(record.read_text().strip())
    try:
        result = subprocess.run(["git", "show", f"HEAD:./{Path(path).name}"], cwd=Path(path).resolve().parent,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return states
    if result.returncode == 0:
        states.add(digest(inputs(nbformat.reads(result.stdout, as_version=4))))
    return states


def text_is_edited(path, nb, nb_text):
    """Whether the pair's inputs come from the text form: the one edited since the pair last agreed (without
    git, the newer file). Raises BothEdited when both were edited."""
    agreed = agreed_states(path)
    text = text_path(path)
    if not agreed:
        return text.stat().st_mtime > Path(path).stat().st_mtime
    nb_edited, text_edited = digest(inputs(nb)) not in agreed, digest(inputs(nb_text)) not in agreed
    if nb_edited and text_edited:
        raise BothEdited(
            f"{path} and {text.name} were both edited since they last agreed, and differently. Keep one: "
            f"`git checkout -- {text}` keeps the notebook's edit, `git checkout -- {path}` the text form's; "
            "to keep both, copy one edit into the other file by hand, then run again")
    return text_edited


def read_pair(path):
    """The notebook at `path` with the inputs of the edited (or newer) file of its pair (.ipynb or .py)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    text = text_path(path)
    if text.is_file():
        nb_text = jupytext.read(text, config=load_jupytext_config(str(path.resolve())))
        if inputs(nb_text) != inputs(nb):
            if not text_is_edited(path, nb, nb_text):
                print(f"{path}: inputs taken from {path.name} (the edited file of the pair)")
                return nb
            print(f"{path}: inputs taken from {text.name} (the edited file of the pair)")
            nb = combine_inputs_with_outputs(nb_text, nb, TEXT_FORMAT)
            nb.metadata.pop("jupytext", None)  # the pairing lives in solutions/jupytext.toml, not in each notebook
    return nb


def small_png(data):
    """A figure as a 256-colour PNG (about a quarter of matplotlib's bytes, same look); deterministic."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(data)))
    if image.mode == "P":
        return data  # already reduced
    buffer = io.BytesIO()
    image.convert("RGBA").quantize(256, method=Image.Quantize.FASTOCTREE).save(buffer, "PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def merge_streams(outputs):
    """Adjacent prints to the same stream as one output: how a print is split depends on when the kernel
    flushed, not on the lesson (nbval merges them too before it compares)."""
    merged = []
    for output in outputs:
        if (output.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == output.name):
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


def make_reviewable(nb):
    """Drop what changes on every run but says nothing about the lesson; shrink its figures."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for key in TIMING_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:  # keep the text fallback, which nbval compares
                del data[WIDGET_VIEW]
            if "image/png" in data:
                data["image/png"] = small_png(data["image/png"])
    return nb


def write_pair(nb, path):
    """Write the notebook and its text form, with the same sources."""
    path = Path(path)
    text = to_text(nb, path)
    for cell, text_cell in zip(nb.cells, jupytext.reads(text, TEXT_FORMAT).cells, strict=True):
        cell.source = text_cell.source  # as the text form reads back (jupytext drops a trailing newline)
    nbformat.write(nb, path)
    text_path(path).write_text(text, encoding="utf-8")
    record_sync(path, nb)


def run(path, timeout=600, execute=True):
    path = Path(path).resolve()
    nb = read_pair(path)
    seconds = 0.0
    if execute:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
    write_pair(make_reviewable(nb), path)
    print(f"{path}: {seconds:.1f} s" if execute else f"{path}: synced with {text_path(path).name}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook paths")
    parser.add_argument("--all", action="store_true", help="every lesson in solutions/")
    parser.add_argument("--no-execute", action="store_true",
                        help="only sync the .ipynb and its .py (e.g. after a prose edit); outputs are kept")
    args = parser.parse_args()
    paths = sorted(REPO.glob("solutions/*/*.ipynb")) if args.all else args.notebooks
    if not paths:
        parser.error("name notebooks, or --all")
    for path in paths:
        run(path, execute=not args.no_execute)


if __name__ == "__main__":
    main()
