"""The stdlib corpus: an offline English text of a few MB, Python's help pages and the stdlib's docstrings.

    text = stdlib_corpus()                  # deterministic for a given Python version
    train_text, val_text = utils.data.split_corpus(text, 0.05)

The help pages (``pydoc_data.topics``, ~465 KB) come first; then the docstrings (``inspect.getdoc``)
of a fixed list of pure standard-library modules and of their public classes, functions and methods,
in sorted order, each one once. Modules that open windows, print on import or start things
(``antigravity``, ``this``, ``tkinter``, ``idlelib``, ``turtle``...) are not in the list.
"""
import importlib
import inspect
import warnings
from collections.abc import Sequence

from .pydoc import load_corpus

MODULES = (
    "abc argparse ast asyncio base64 bisect bz2 calendar cmd codecs collections collections.abc "
    "concurrent.futures configparser contextlib copy csv ctypes dataclasses datetime decimal difflib dis "
    "email enum filecmp fnmatch fractions ftplib functools getopt gettext glob graphlib gzip hashlib heapq "
    "hmac html html.parser http http.client http.cookies http.server imaplib importlib inspect io "
    "ipaddress itertools json keyword linecache locale logging logging.handlers lzma mailbox mimetypes "
    "multiprocessing numbers operator optparse os os.path pathlib pickle pkgutil platform plistlib "
    "poplib pprint profile pstats queue quopri random re reprlib sched secrets selectors shelve shlex "
    "shutil signal smtplib socket socketserver sqlite3 ssl statistics string struct subprocess "
    "sysconfig tarfile tempfile textwrap threading timeit token tokenize trace traceback types typing "
    "unittest unittest.mock urllib.parse urllib.request uuid warnings wave weakref xml.dom.minidom "
    "xml.etree.ElementTree zipfile zipimport zoneinfo"
).split()


def _docstrings(module):
    """The module's docstring, then those of its public classes, functions and their methods (sorted)."""
    docs = [inspect.getdoc(module) or ""]
    for name in sorted(vars(module)):
        obj = vars(module)[name]
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            docs.append(inspect.getdoc(obj) or "")
        if inspect.isclass(obj):
            for attr in sorted(vars(obj)):
                member = vars(obj)[attr]
                if not attr.startswith("_") and inspect.isfunction(member):
                    docs.append(inspect.getdoc(member) or "")
    return docs


def stdlib_corpus(modules: Sequence[str] = MODULES, include_help: bool = True, min_chars: int = 40) -> str:
    """-> one str: help pages, then every distinct docstring of `modules` of >= min_chars characters."""
    if isinstance(modules, str):
        raise ValueError("modules must be a list of module names, not one string")
    parts, seen = ([load_corpus()] if include_help else []), set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue  # a Python built without it (e.g. no _ssl, no _sqlite3)
            for doc in _docstrings(module):
                doc = doc.strip()
                if len(doc) >= min_chars and doc not in seen:
                    seen.add(doc)
                    parts.append(doc)
    if not parts:
        raise ValueError("no text found: give at least one importable module or include_help=True")
    return "\n\n".join(parts)
