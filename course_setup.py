"""What the setup cell of every lesson runs: load *this course's* `utils`, size the CPU threads, pick the device.

`utils` is the most common module name in Python. A learner's own `utils.py` beside a notebook, or
another installed package called `utils`, would be imported instead of the course's library by a plain
`import utils`. This module ships beside the course's `utils/` (in a clone, in an editable install and
in a wheel alike), so it loads the `utils/` package next to it by path, whatever else `sys.path` holds,
checks the marker the library defines, and names anything that shadows it.
"""
import importlib.util
import sys
from pathlib import Path

COURSE_UTILS = Path(__file__).resolve().parent / "utils"
MARKER = "transformers-from-first-principles"  # utils.__course__: set by the course's library, by no other


def _other_utils():
    """The file a plain `import utils` would load if it is not the course's library, else None."""
    loaded = sys.modules.pop("utils", None)
    try:
        spec = importlib.util.find_spec("utils")
    except (ImportError, ValueError):  # a broken learner file or package: it still shadows nothing we load
        spec = None
    finally:
        if loaded is not None:
            sys.modules["utils"] = loaded
    if spec is None:
        return None
    origin = Path(spec.origin) if spec.origin else Path(next(iter(spec.submodule_search_locations)))
    if origin.resolve() in (COURSE_UTILS, COURSE_UTILS / "__init__.py"):
        return None
    return str(origin)


def load_course_utils():
    """Import the course's `utils` from beside this file and make every later `import utils` return it."""
    current = sys.modules.get("utils")
    if getattr(current, "__course__", None) == MARKER and Path(current.__file__).resolve().parent == COURSE_UTILS:
        return current
    init = COURSE_UTILS / "__init__.py"
    if not init.is_file():
        raise ModuleNotFoundError(f"the course's library is missing: expected {init}. "
                                  "Reinstall the course: pip install -r requirements.txt (see README.md)")
    for name in [n for n in sys.modules if n == "utils" or n.startswith("utils.")]:
        del sys.modules[name]  # a learner's `utils` imported earlier: the course's replaces it
    spec = importlib.util.spec_from_file_location("utils", init, submodule_search_locations=[str(COURSE_UTILS)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["utils"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["utils"]
        raise
    if getattr(module, "__course__", None) != MARKER:
        raise ImportError(f"{init} is not the course's library (its utils.__course__ is not {MARKER!r})")
    return module


def prepare(seed=0):
    """Load the course's `utils`, set PyTorch's CPU threads, seed everything; print what was chosen.

    Returns the device lessons should use (CUDA, then Apple's MPS, then the CPU).
    """
    shadow = _other_utils()
    utils = load_course_utils()
    if shadow is not None:
        print(f"note: `import utils` would have loaded {shadow}, which is not this course's library; the "
              f"course's ({COURSE_UTILS}) is used instead. Rename your file (e.g. my_utils.py) to import it too.")
    threads, reason = utils.configure_threads()
    device = utils.get_device()
    utils.seed_everything(seed)
    import torch  # after utils: torch is a dependency of the course, not of this tiny module

    gpu = torch.cuda.get_device_name() if device.type == "cuda" else "no GPU"
    print(f"device: {device.type} | {gpu} | CPU threads: {threads} ({reason})")
    return device
