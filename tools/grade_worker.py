"""Execute one prepared submission in a fresh kernel under limits (the untrusted half of tools/grade.py).

`execute(notebook_json, limits)` runs on a grading worker: a local process or a Dask worker on
another machine. It needs only this Python environment (torch, ipykernel, nbclient), never the
course directory, the gradebook, the solutions or other submissions, and it decides no score: it
returns the executed notebook and a status; the one trusted process (tools/grade.py) scores it.

The kernel is started through `launcher_argv()`, a prefix to the kernel's command line: a bubblewrap
sandbox (`sandbox_argv`: no network, its own PID namespace, a non-root user, read-only Python and course
library, no course folder, gradebook, $HOME or IPython profile; killed with everything it started when
the kernel goes), then a few lines of Python that set the resource limits and exec() the kernel.

Probe cells (trusted code, inserted by tools/grade.py) save the answers' outputs on the grader's inputs
(`grading-inputs.pt`, written here before the kernel starts) as `grading-outputs-<test>.pt`; they come
back as bytes in the result, and only the trusted process reads and judges them.

Per-cell directives come from the trusted side in cell metadata `grading`:
    {"skip": true}       not run (an ungraded demo nothing graded depends on)
    {"short": true}      exercise, test and reference cells: a short timeout
"""
import asyncio
import functools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets import Integer, List

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
    sandbox: bool = True                 # run the kernel in bubblewrap (False: --unsafe, limits only)
    processes: int = 256                 # processes and threads of the sandbox's user (a fork bomb stops here)
    file_bytes: int = 256 * 1024 ** 2    # largest file the kernel may write (RLIMIT_FSIZE)
    scratch_bytes: int = 256 * 1024 ** 2 # size of the sandbox's /tmp and $HOME (memory-backed)
    probe_bytes: int = 64 * 1024 ** 2    # largest probe output file brought back to the grader


# Applies the limits in the kernel's own process, then becomes the kernel (same pid). Inline code: a
# remote worker needs no file from the course. Arguments: memory bytes, processes (0: no limit), file bytes.
_LIMITS_CODE = (
    "import os, resource, sys\n"
    "memory, processes, file_bytes = map(int, sys.argv[1:4])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))\n"
    "if processes:\n"
    "    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))\n"
    "env = dict(os.environ)\n"
    "if env.pop('GRADING_SANDBOX', None):\n"
    "    env.pop('JPY_PARENT_PID', None)  # in a PID namespace the parent looks dead to ipykernel's poller\n"
    "    null = os.open(os.devnull, os.O_RDWR)\n"
    "    os.dup2(null, 1); os.dup2(null, 2)  # the grader's terminal is not the kernel's to write on\n"
    "os.execve(sys.argv[4], sys.argv[4:], env)\n"
)
SANDBOX_HOME = "/home/student"
SANDBOX_COURSE = "/opt/course"  # the course's library, alone: utils/ and course_setup.py, read-only


def course_library():
    """(utils folder, course_setup.py) that this environment imports: the only course files a kernel sees."""
    import importlib.util
    utils_spec, setup_spec = importlib.util.find_spec("utils"), importlib.util.find_spec("course_setup")
    if utils_spec is None or not utils_spec.submodule_search_locations:
        raise RuntimeError("the course's utils package is not importable here: pip install -r requirements.txt")
    return Path(list(utils_spec.submodule_search_locations)[0]), Path(setup_spec.origin) if setup_spec else None


def _directories(path):
    """bwrap arguments that create `path`'s ancestors as world-traversable folders (for the sandbox user)."""
    args = []
    for parent in reversed(Path(path).parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def sandbox_argv(workdir, uid, limits):
    """bubblewrap's command line: what the kernel may see and do. `uid`: the user it runs as (root only)."""
    argv = ["bwrap", "--die-with-parent", "--new-session",
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if uid is None:  # not root: an unprivileged user namespace, this user's own id
        argv += ["--unshare-user", "--disable-userns"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        link = Path("/") / name
        if link.is_symlink():
            argv += ["--symlink", os.readlink(link), f"/{name}"]
        elif link.is_dir():
            argv += ["--ro-bind", str(link), f"/{name}"]
    for etc in ("/etc/fonts", "/etc/alternatives", "/etc/localtime", "/etc/ld.so.cache"):
        if os.path.exists(etc):
            argv += ["--ro-bind", etc, etc]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.scratch_bytes), "--perms", "01777", "--tmpfs", "/tmp",
             "--size", str(limits.scratch_bytes), "--perms", "0755", "--tmpfs", "/home",
             "--perms", "01777", "--dir", SANDBOX_HOME]
    # Python and its packages, read-only (a venv and the interpreter it points at).
    for prefix in sorted({os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}):
        if not prefix.startswith("/usr"):
            argv += _directories(prefix) + ["--ro-bind", prefix, prefix]
    utils_dir, setup_file = course_library()
    argv += _directories(f"{SANDBOX_COURSE}/utils") + ["--ro-bind", str(utils_dir), f"{SANDBOX_COURSE}/utils"]
    if setup_file:
        argv += ["--ro-bind", str(setup_file), f"{SANDBOX_COURSE}/course_setup.py"]
    argv += _directories(workdir) + ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    argv.append("--")
    if uid is not None:  # root builds the sandbox, then the kernel runs as an unprivileged user of its own
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs"]
    return argv


def sandbox_env():
    """The kernel's whole environment in a sandbox: none of the grader's variables (secrets) get in."""
    return {"HOME": SANDBOX_HOME, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
            "PYTHONPATH": SANDBOX_COURSE, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "GRADING_SANDBOX": "1"}


def _own_tasks():
    """Processes and threads this user runs now (RLIMIT_NPROC counts them all, not just the kernel's)."""
    import psutil
    uid, tasks = os.getuid(), 0
    for process in psutil.process_iter(["uids", "num_threads"]):
        try:
            if process.info["uids"] and process.info["uids"].real == uid:
                tasks += process.info["num_threads"] or 1
        except psutil.Error:
            pass
    return tasks


@functools.lru_cache(maxsize=1)
def sandbox_problem():
    """Why no sandbox can be used on this machine (a sentence), or None when bubblewrap works here."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if shutil.which("setpriv") is None and os.getuid() == 0:
        return "setpriv (util-linux) is not installed"
    with tempfile.TemporaryDirectory(prefix="grade-probe-") as workdir:
        uid = _sandbox_uid() if os.getuid() == 0 else None
        if uid is not None:
            os.chown(workdir, uid, uid)
        try:
            trial = subprocess.run([*sandbox_argv(workdir, uid, Limits()), sys.executable, "-c", "import utils"],
                                   capture_output=True, text=True, timeout=60, env=sandbox_env())
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap failed to start: {error}"
    if trial.returncode != 0:
        return f"bubblewrap failed to start a kernel's Python: {trial.stderr.strip()[-300:]}"
    return None


def _sandbox_uid():
    """A user id of its own for each sandbox: its process limit counts only its own processes."""
    return random.randrange(2_000_000, 3_000_000)


def launcher_argv(limits, workdir=None, uid=None):
    """What goes before the kernel's command line: the sandbox (unless limits.sandbox is False), then limits."""
    prefix, processes = [], 0
    if limits.sandbox:
        prefix = sandbox_argv(workdir, uid, limits)
        processes = limits.processes if uid is not None else _own_tasks() + limits.processes
    return [*prefix, sys.executable, "-c", _LIMITS_CODE, str(limits.memory_bytes), str(processes),
            str(limits.file_bytes)]


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command is wrapped by `launcher`; in a sandbox, the kernel's user owns
    the connection file, and interrupts travel as messages (a signal would stop at bubblewrap)."""
    launcher = List([])
    sandbox_uid = Integer(-1)

    def format_kernel_cmd(self, extra_arguments=None):
        if self.sandbox_uid >= 0 and self.connection_file and os.path.exists(self.connection_file):
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)
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


def execute(notebook_json, limits=None, inputs=None):
    """Run the notebook; return {status: graded|failed, reason, notes, notebook (json), probes, cpu_s, wall_s}.
    `inputs`: the probe cells' inputs (bytes of a torch.save file); `probes`: {test id: bytes} they saved."""
    limits = Limits(**limits) if isinstance(limits, dict) else (limits or Limits())
    nb = nbformat.reads(notebook_json, as_version=4)
    if limits.sandbox and sandbox_problem():
        return {"status": "failed", "reason": f"no sandbox on this worker: {sandbox_problem()}", "notes": [],
                "cpu_s": 0.0, "wall_s": 0.0, "probes": {}}
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        uid = _sandbox_uid() if limits.sandbox and os.getuid() == 0 else None
        if inputs is not None:
            Path(workdir, "grading-inputs.pt").write_bytes(inputs)
            os.chmod(Path(workdir, "grading-inputs.pt"), 0o644)
        if uid is not None:
            os.chown(workdir, uid, uid)
        result = asyncio.run(_execute(nb, limits, workdir, uid))
        result["probes"] = _probe_outputs(workdir, limits, result["notes"])
        return result


def _probe_outputs(workdir, limits, notes):
    """{test id: bytes} of the probe files the kernel left (regular files only, each within the size cap)."""
    probes = {}
    for path in Path(workdir).glob("grading-outputs-*.pt"):
        test = path.name[len("grading-outputs-"):-len(".pt")]
        if path.is_symlink() or not path.is_file():
            notes.append(f"probe output of {test} is not a plain file: ignored")
        elif path.stat().st_size > limits.probe_bytes:
            notes.append(f"probe output of {test} is over {limits.probe_bytes:,} bytes: ignored")
        else:
            probes[test] = path.read_bytes()
    return probes


async def _execute(nb, limits, workdir, uid=None):
    started = time.monotonic()
    result = {"status": "graded", "reason": "", "notes": [], "cpu_s": 0.0}

    def fail(reason):
        result["status"], result["reason"] = "failed", reason

    # Outside a sandbox (--unsafe) the kernel gets this environment; in one, bubblewrap sets its own.
    env = sandbox_env() if limits.sandbox else {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
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
                                      launcher=launcher_argv(limits, workdir, uid),
                                      sandbox_uid=-1 if uid is None else uid)
            if limits.sandbox:
                km.kernel_spec.interrupt_mode = "message"  # a signal would reach bubblewrap, not the kernel
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
                nb.cells[index] = cell  # nbclient stores the executed copy in the notebook: put the original back
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
                fail(f"memory limit: a cell needed more than {limits.memory_bytes / GiB:.1f} GiB "
                     f"(in {_label(cell, index)})")
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
    first = client.nb.cells[0]
    client.timed_out = False
    try:
        await client.async_execute_cell(probe, 0)
    finally:
        client.timeout_func = saved
        client.nb.cells[0] = first  # nbclient stores the executed cell at its index
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


if __name__ == "__main__":  # debugging aid: python -m tools.grade_worker notebook.ipynb
    out = execute(open(sys.argv[1]).read())
    print(json.dumps({k: v for k, v in out.items() if k != "notebook"}, indent=1))
