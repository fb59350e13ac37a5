"""Where to run, on how many CPU threads, and how to make a run repeatable."""
import math
import os
import random
from pathlib import Path

import numpy as np
import torch


def get_device():
    """The fastest device here: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed=0):
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


def usable_cpus():
    """How many CPUs this process may really use: its affinity mask, capped by the cgroup CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, math.floor(quota))  # 1.5 CPUs of quota: a 2nd thread would only be throttled
    return max(1, cpus)


def default_threads(cpus=None):
    """PyTorch threads for a machine with `cpus` usable CPUs: all but one, so other work never stalls ours."""
    cpus = usable_cpus() if cpus is None else cpus
    return max(1, cpus - 1)


def configure_threads(threads=None):
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
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    torch.set_num_threads(threads)
    return threads, reason
