"""The grading sandbox itself (tools/grade_worker.py with bubblewrap): what a kernel can see and do.

Raw attack code runs in a sandboxed kernel here, with no help from the rules on answers' source
(tests/test_grade_attacks.py grades whole attacking submissions through the command line).
"""
import http.server
import os
import threading
import time

import nbformat
import psutil
import pytest

from course import REPO

from tools import grade_worker

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(grade_worker.sandbox_problem() is not None,
                                 reason=f"no sandbox here: {grade_worker.sandbox_problem()}")]


def run_cells(*sources, short=(), **limits):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    for index in short:
        nb.cells[index].metadata["grading"] = {"short": True}
    result = grade_worker.execute(nbformat.writes(nb), grade_worker.Limits(**{"short_timeout": 5, **limits}))
    cells = nbformat.reads(result["notebook"], as_version=4).cells
    return result, ["".join(o.get("text", "") + o.get("evalue", "") for o in c.outputs) for c in cells]


def test_no_network_not_even_the_graders_loopback():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        _, out = run_cells(
            "import socket\n"
            f"for host, port in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('pypi.org', 443)]:\n"
            "    try:\n"
            "        socket.create_connection((host, port), timeout=3).close()\n"
            "        print('CONNECTED', host)\n"
            "    except OSError as error:\n"
            "        print('refused', host, type(error).__name__)")
    finally:
        server.shutdown()
    assert "CONNECTED" not in out[0] and out[0].count("refused") == 3, out[0]


def test_a_non_root_user_sees_only_python_and_the_course_library(tmp_path):
    secret_file = tmp_path / "gradebook.db"
    secret_file.write_text("every grade")
    _, out = run_cells(
        "import os, utils\n"
        "print('uid', os.getuid())\n"
        f"for path in [{str(secret_file)!r}, {str(REPO / 'solutions')!r}, {str(REPO / 'nbgrader_config.py')!r},"
        f" {os.path.expanduser('~/.bashrc')!r}, '/etc/shadow']:\n"
        "    print(path, 'VISIBLE' if os.path.exists(path) else 'absent')\n"
        "try:\n"
        "    open(os.path.join(os.path.dirname(utils.__file__), 'planted.py'), 'w')\n"
        "    print('WROTE into utils')\n"
        "except OSError as error:\n"
        "    print('utils is read-only:', type(error).__name__)\n"
        "print('secret' , os.environ.get('GRADING_SECRET'))")
    assert "uid 0" not in out[0] and "uid " in out[0]
    assert "VISIBLE" not in out[0], out[0]
    assert "utils is read-only" in out[0]
    assert "secret None" in out[0]
    assert not (REPO / "utils" / "planted.py").exists()


def test_nothing_it_starts_outlives_it():
    marker = "987654.321"
    result, out = run_cells(
        "import subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "print('started')")
    assert "started" in out[0]
    time.sleep(1)
    alive = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert not alive, f"a process the kernel started outlived it: {alive}"


def test_a_fork_bomb_is_stopped_by_the_process_limit():
    started = time.monotonic()
    result, out = run_cells(
        "import os\n"
        "children = 0\n"
        "try:\n"
        "    while True:\n"
        "        if os.fork() == 0:\n"
        "            import time; time.sleep(60); os._exit(0)\n"
        "        children += 1\n"
        "except OSError as error:\n"
        "    print('refused after', children, type(error).__name__)",
        "print('still answering')", short=(0,), processes=64)
    assert "refused after" in out[0], out
    assert "still answering" in out[1]
    assert time.monotonic() - started < 60
    assert result["status"] == "graded"


def test_scratch_space_is_bounded_and_private():
    _, out = run_cells(
        "import os\n"
        "home = os.path.expanduser('~')\n"
        "print('home', home, os.listdir(home), os.listdir(os.path.join(home, '.ipython/profile_default/startup')))\n"
        "try:\n"
        "    with open('/tmp/big', 'wb') as f:\n"
        "        for _ in range(64):\n"
        "            f.write(b'x' * 2 ** 20)\n"
        "    print('wrote 64 MiB')\n"
        "except OSError as error:\n"
        "    print('stopped', type(error).__name__)", scratch_bytes=16 * 2 ** 20)
    assert "home /home/student ['.ipython'] ['README']" in out[0], out[0]  # a fresh profile: no startup files
    assert "stopped" in out[0], out[0]
