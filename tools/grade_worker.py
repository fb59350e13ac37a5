"""Execute one prepared submission in a fresh kernel under limits (the untrusted half of tools/grade.py).

`execute(notebook_json, limits)` runs on a grading worker: a local process or a Dask worker on
another machine. It needs only this Python environment (torch, ipykernel, nbclient), never the
course directory, the gradebook, the solutions or other submissions, and it decides no score: it
returns the executed notebook and a status; the one trusted process (tools/grade.py) scores it.

The kernel is started through `launcher_argv()`, a prefix to the kernel's command line that applies
the limits and then exec()s the kernel. A sandbox (issue 13: bubblewrap) replaces that one function.

Per-cell directives come from the trusted side in cell metadata `grading`:
    {"skip": true}       not run (an ungraded demo nothing graded depends on)
    {"short": true}      exercise, test and reference cells: a short timeout
"""
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets import List

GiB = 1024 ** 3


@dataclass
class Limits:
    """Per-submission limits; every one that is hit is reported as the reason a submission failed."""
    memory_bytes: int = 4 * GiB          # address space of the kernel (RLIMIT_AS); torch alone maps ~0.8 GB
    cell_timeout: float = 240.0          # setup and the demo cells grading still needs (nbgrader_config.py)
    short_timeout: float = 30.0          # exercise, test and reference cells: a loop costs seconds, not minutes
    wall_time: float = 900.0             # the whole submission
    output_cap: int = 20_000             # characters kept of one output (the rest is cut, noted)
    output_limit: int = 64 * 1024 ** 2   # bytes of output a submission may send in total
    start_retries: int = 3               # kernel start-up attempts


# Applies the limits in the kernel's own process, then becomes the kernel (same pid, so the kernel
# manager's signals reach it). Inline code: a remote worker needs no file from the course.
_LIMITS_CODE = (
    "import os, resource, sys\n"
    "memory = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def launcher_argv(limits):
    """What goes before the kernel's command line: the one place to swap in a sandbox (issue 13)."""
    return [sys.executable, "-c", _LIMITS_CODE, str(limits.memory_bytes)]


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command is wrapped by `launcher`."""
    launcher = List([])

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.launcher, *super().format_kernel_cmd(extra_arguments)]


class GradingClient(NotebookClient):
    """nbclient with an output budget: each output is cut to `cap` characters, and once a submission has
    sent `limit` bytes in all, further output is dropped and the submission is stopped."""

    def __init__(self, *args, cap, limit, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap, self.limit = cap, limit
        self.output_bytes, self.capped, self.over_limit = 0, False, False

    timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True  # nbclient records no error output for a timeout; the cell loop adds one
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        size = len(json.dumps(content.get("data", content.get("text", ""))))
        self.output_bytes += size
        if self.output_bytes > self.limit:
            self.over_limit = True
            return None  # keep nothing more in memory; the cell loop stops after this cell
        if "text" in content:
            content["text"] = self._cut(content["text"])
        data = content.get("data", {})
        for mime, value in list(data.items()):
            if isinstance(value, str) and mime.startswith("text/"):
                data[mime] = self._cut(value)
            elif len(json.dumps(value)) > 10 * self.cap:  # a huge image or widget state: dropped, noted
                self.capped = True
                del data[mime]
                data.setdefault("text/plain", f"[{mime} output of {len(json.dumps(value)):,} bytes left out]")
        return super().output(outs, msg, display_id, cell_index)

    def _cut(self, text):
        if len(text) <= self.cap:
            return text
        self.capped = True
        return f"{text[:self.cap]}\n[... output cut: {len(text):,} characters, {self.cap:,} kept]\n"


MEMORY_ERRORS = ("MemoryError", "can't allocate memory", "not enough memory", "std::bad_alloc",
                 "Cannot allocate memory")


def _label(cell, index):
    """How a report names a cell: its nbgrader id (the exercise or test), else its position."""
    grading, nbgrader = cell.metadata.get("grading", {}), cell.metadata.get("nbgrader", {})
    if "reference_of" in grading:
        return f"the reference version of {grading['reference_of']}"
    return f"cell {nbgrader['grade_id']}" if "grade_id" in nbgrader else f"code cell {index}"


def _memory_error(cell):
    for output in cell.get("outputs", []):
        if output.output_type == "error" and any(m in f"{output.ename}: {output.evalue}" for m in MEMORY_ERRORS):
            return True
    return False


def _kernel_cpu_seconds(km):
    """CPU time of the kernel process and its children so far (for the benchmark)."""
    try:
        process = psutil.Process(km.provisioner.process.pid)
        total = 0.0
        for p in [process, *process.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        return total
    except (psutil.Error, AttributeError):
        return 0.0


def execute(notebook_json, limits=None):
    """Run the notebook; return {status: graded|failed, reason, notes, notebook (json), cpu_s, wall_s}."""
    limits = Limits(**limits) if isinstance(limits, dict) else (limits or Limits())
    nb = nbformat.reads(notebook_json, as_version=4)
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        return asyncio.run(_execute(nb, limits, workdir))


async def _execute(nb, limits, workdir):
    started = time.monotonic()
    result = {"status": "graded", "reason": "", "notes": [], "cpu_s": 0.0}

    def fail(reason):
        result["status"], result["reason"] = "failed", reason

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NBGRADER_EXECUTION": "autograde"}
    env.pop("MPLBACKEND", None)
    deadline = started + limits.wall_time
    kernels = iter(range(1, 1000))

    def timeout_for(cell):
        short = cell.metadata.get("grading", {}).get("short")
        return max(1, min(limits.short_timeout if short else limits.cell_timeout, deadline - time.monotonic()))

    async def start(output_bytes=0):
        """A client with a started kernel, after up to `start_retries` attempts; raises RuntimeError."""
        for attempt in range(1, limits.start_retries + 1):
            km = LimitedKernelManager(kernel_name="python3", transport="ipc",  # ipc: no TCP port race
                                      connection_file=os.path.join(workdir, f"kernel-{next(kernels)}.json"),
                                      launcher=launcher_argv(limits))
            client = GradingClient(nb, km=km, cap=limits.output_cap, limit=limits.output_limit,
                                   resources={"metadata": {"path": workdir}}, allow_errors=True,
                                   interrupt_on_timeout=True, timeout_func=timeout_for, record_timing=False,
                                   error_on_timeout={"ename": "CellTimeoutError", "evalue": "the cell ran too long",
                                                     "traceback": ["CellTimeoutError: the cell ran too long "
                                                                   "and was interrupted"]})
            client.output_bytes = output_bytes
            try:
                await client.async_start_new_kernel(env=env)
                await client.async_start_new_kernel_client()
                return client
            except Exception as error:  # noqa: BLE001  (any start-up failure is retried, then reported)
                await _shutdown(client)
                if attempt == limits.start_retries:
                    raise RuntimeError(f"kernel failed to start ({attempt} attempts): "
                                       f"{type(error).__name__}: {error}") from error

    async def restart(client, upto):
        """A fresh kernel in the state grading needs before cell `upto`: the cells that set it up again
        (setup, needed demos, reference versions), not the student's answers or the tests."""
        result["cpu_s"] += _kernel_cpu_seconds(client.km)
        await _shutdown(client)
        client = await start(client.output_bytes)
        for index, cell in enumerate(nb.cells[:upto]):
            nbgrader = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and not cell.metadata.get("grading", {}).get("skip") \
                    and not nbgrader.get("solution") and not nbgrader.get("grade"):
                await client.async_execute_cell(nbformat.from_dict(cell), index)  # a copy: outputs stay
        return client

    try:
        client = await start()
    except RuntimeError as error:
        fail(str(error))
        return _finish(result, nb, started)
    index = -1
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell.metadata.get("grading", {}).get("skip"):
                continue
            if time.monotonic() > deadline:
                fail(f"wall time limit: the submission ran over {limits.wall_time:.0f} s")
                break
            client.timed_out = False
            await client.async_execute_cell(cell, index)
            if client.timed_out and not any(o.output_type == "error" for o in cell.outputs):
                # An interrupt that was ignored leaves no error: without one, a test cell would score.
                cell.outputs.append(nbformat.v4.new_output("error", ename="CellTimeoutError",
                                                           evalue=f"no result within {timeout_for(cell):.0f} s",
                                                           traceback=["CellTimeoutError: the cell ran too long"]))
            if client.over_limit:
                fail(f"output limit: more than {limits.output_limit:,} bytes of output (in {_label(cell, index)})")
                break
            if _memory_error(cell):
                fail(f"memory limit: a cell needed more than {limits.memory_bytes / GiB:.1f} GiB (in {_label(cell, index)})")
                break
            if client.timed_out and not await _responds(client):
                # It ignored the interrupt: it costs this cell, not the rest of the notebook.
                result["notes"].append(f"{_label(cell, index)} ignored the interrupt; kernel restarted")
                client = await restart(client, index)
        result["cpu_s"] += _kernel_cpu_seconds(client.km)
    except DeadKernelError:
        fail(f"kernel died (in {_label(nb.cells[index], index)}; exit code {_exit_code(client.km)})")
    except Exception as error:  # noqa: BLE001  (whatever else stops execution is a failure, not a 0)
        fail(f"grading error in {_label(nb.cells[index], index)}: {type(error).__name__}: {error}")
    finally:
        await _shutdown(client)
    if client.capped:
        result["notes"].append(f"output cut to {limits.output_cap:,} characters per output")
    return _finish(result, nb, started)


async def _responds(client):
    """After an interrupt: does the kernel answer again within a few seconds?"""
    probe = nbformat.v4.new_code_cell("pass")
    saved, client.timeout_func = client.timeout_func, (lambda cell: 5)
    client.timed_out = False
    try:
        await client.async_execute_cell(probe, 0)
    finally:
        client.timeout_func = saved
    return not client.timed_out


def _exit_code(km):
    try:
        return km.provisioner.process.poll()
    except AttributeError:
        return None


async def _shutdown(client):
    try:
        await client._async_cleanup_kernel()
    except Exception:  # noqa: BLE001  (a dead kernel has nothing left to stop)
        pass


def _finish(result, nb, started):
    result["wall_s"] = time.monotonic() - started
    result["notebook"] = nbformat.writes(nb)
    return result


if __name__ == "__main__":  # debugging aid: python tools/grade_worker.py notebook.ipynb
    out = execute(open(sys.argv[1]).read())
    print(json.dumps({k: v for k, v in out.items() if k != "notebook"}, indent=1))
