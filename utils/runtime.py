"""Runtime helpers: the device, CPU threads, seeding, eval mode, the cache folder and argument checks."""
import contextlib
import math
import numbers
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

CACHE_ENV = "TRANSFORMERS_COURSE_CACHE"


def get_device() -> torch.device:
    """The fastest device here: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def as_device(device: "str | int | torch.device | None") -> torch.device:
    """None (the best device here), "cpu", "cuda", "cuda:1", "mps", a torch.device, or Hugging Face's
    integers (-1 the CPU, 0 the first GPU) -> torch.device."""
    if device is None:
        return get_device()
    if isinstance(device, bool):
        raise ValueError(f"device must be None, a str, a torch.device or an int, got {device!r}")
    if isinstance(device, int):
        device = "cpu" if device < 0 else f"cuda:{device}"
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be None, 'cpu', 'cuda', 'cuda:N', 'mps', a torch.device, or -1/0/1/...; "
                         f"got {device!r}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} asked for, but PyTorch sees no CUDA GPU here; use 'cpu'")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' asked for, but Apple's MPS is not available here; use 'cpu'")
    return device


def cache_dir() -> Path:
    """Where trained tokenizers and weights are kept: $TRANSFORMERS_COURSE_CACHE, else ~/.cache/transformers-course."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "transformers-course"


# --- Argument checks: one wording for every "must be a positive integer" in the library -----------

def check_int(name: str, value: object, minimum: int = 1, allow_none: bool = False) -> None:
    """Raise ValueError unless `value` is an int >= minimum (bools are not counts); None passes if allowed."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def check_number(name: str, value: object, low: float = 0.0, high: float = math.inf,
                 low_inclusive: bool = False) -> None:
    """Raise ValueError unless `value` is a real number in (low, high] (or [low, high] if low_inclusive)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and (value >= low if low_inclusive else value > low) and value <= high
    if not ok:
        bracket = "[" if low_inclusive else "("
        raise ValueError(f"{name} must be a number in {bracket}{low}, {high}], got {value!r}")


# --- Eval mode and random state -------------------------------------------------------------------

@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Run a block with `model` in eval mode (no dropout) and without gradients, then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def preserved_random_state() -> Iterator[None]:
    """Run a block without disturbing the caller's random numbers (Python, NumPy, PyTorch).

    Building a model draws initial weights and a recipe reseeds everything. A notebook that builds
    a pipeline must then draw the same numbers afterwards whether the weights came from the cache
    or were trained on the spot.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


def seed_everything(seed: int = 0) -> int:
    """Seed Python, NumPy and PyTorch (every device) so that a notebook prints the same numbers twice."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators
    return seed


# --- CPU threads ----------------------------------------------------------------------------------
# PyTorch starts one thread per core the *host* has, and its threads wait for each other at every
# operation. On Binder (a CPU quota on a big host), in a container, or beside another busy process
# (the Jupyter server, a browser, a second notebook, a grader) that waiting dominates. Measured on a
# 2-core machine: a small GPT training step took 283 ms on 2 threads and 384 ms on 1 thread when idle,
# but 690 ms on 2 threads and 406 ms on 1 thread beside one CPU-bound process; lesson 01's recurrent
# models trained 5-10x slower on 2 threads than on 1 with other work running. So the course counts
# the CPUs it may really use (affinity mask, cgroup quota) and leaves one of them to everything else.

def _cgroup_cpu_quota(root=Path("/sys/fs/cgroup")):
    """CPUs allowed by the cgroup CPU quota (v2 `cpu.max` or v1 `cfs_quota_us`), or None if unlimited."""
    candidates = [(root / "cpu.max", None), (root / "cpu" / "cpu.cfs_quota_us", root / "cpu" / "cpu.cfs_period_us"),
                  (root / "cpu,cpuacct" / "cpu.cfs_quota_us", root / "cpu,cpuacct" / "cpu.cfs_period_us")]
    for quota_file, period_file in candidates:
        try:
            if period_file is None:  # v2: "<quota> <period>" or "max <period>"
                quota, period = quota_file.read_text().split()[:2]
            else:
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
            if quota in ("max", "-1"):
                return None
            return int(quota) / int(period)
        except (OSError, ValueError, ZeroDivisionError):
            continue
    return None


def usable_cpus() -> int:
    """How many CPUs this process may really use: its affinity mask, capped by the cgroup CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, math.floor(quota))  # 1.5 CPUs of quota: a 2nd thread would only be throttled
    return max(1, cpus)


def default_threads(cpus: int | None = None) -> int:
    """PyTorch threads for a machine with `cpus` usable CPUs: all but one, so other work never stalls ours."""
    cpus = usable_cpus() if cpus is None else cpus
    return max(1, cpus - 1)


def configure_threads(threads: int | None = None) -> tuple[int, str]:
    """Set PyTorch's CPU thread count and say why: `threads`, else $OMP_NUM_THREADS, else `default_threads()`.

    Returns (threads, reason). The setup cell of every lesson calls it once, before any heavy work.
    """
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if threads is not None:
        reason = "asked for"
    elif omp:
        if not omp.isdigit() or int(omp) < 1:
            raise ValueError(f"OMP_NUM_THREADS must be a positive integer, got {omp!r}")
        threads, reason = int(omp), "from OMP_NUM_THREADS"
    else:
        cpus = usable_cpus()
        threads = default_threads(cpus)
        reason = f"{cpus} usable CPUs, one left for other work" if cpus > 1 else "1 usable CPU"
    check_int("threads", threads)
    torch.set_num_threads(threads)
    return threads, reason
