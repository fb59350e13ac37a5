"""Open the first lesson in JupyterLab in a real (headless) browser, run it, and look at it.

Running a notebook with nbclient proves that its code works, not that a student sees its plots
and interactive widgets. This test starts the `jupyter lab` of this Python environment, drives
Debian's Chromium through Playwright, runs every cell from the Run menu, and checks that a
matplotlib image and an ipywidgets control are on the page.
"""
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, sync_playwright

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LESSON = "notebooks/01_why_transformers/01_why_transformers.ipynb"  # relative to REPO

# Debian's Chromium, never a browser downloaded by Playwright. No sandbox: CI runs as root.
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# JupyterLab user settings for the test server only:
# - no windowing: every cell and its output stays in the DOM, however long the lesson;
# - no autosave: running the lesson must not write outputs into the repository's notebook;
# - no news or update checks, and so no pop-ups over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}

SERVER_START_TIMEOUT_S = 120
KERNEL_START_TIMEOUT_S = 120
LESSON_RUN_TIMEOUT_S = 900  # the whole lesson, on a slow shared CPU
RENDER_TIMEOUT_MS = 60_000

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PLOT = f"{NOTEBOOK} .jp-OutputArea-output img"  # matplotlib's inline backend sends image/png
# A rendered widget view has the class `jupyter-widgets`; so has the placeholder that says
# "Error displaying widget", which is why the test also checks that this text is absent.
WIDGET = f"{NOTEBOOK} .jp-OutputArea-output .jupyter-widgets"
WIDGET_ERROR = "Error displaying widget"
ERROR_OUTPUT = f'{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


# --- the Jupyter server ------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def wait_until_answers(url, server, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited early with code {server.returncode}")
        try:
            get_json(url)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer {url} within {timeout_s} s")


def stop(server):
    """Stop the server, then whatever it started and left behind (kernels run in their own sessions)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        started = psutil.Process(server.pid).children(recursive=True)
    server.terminate()  # the server shuts its kernels down on SIGTERM
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    for process in started:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


@contextlib.contextmanager
def jupyter_lab(root_dir, workdir):
    """Run this environment's `jupyter lab` on a free loopback port; yield (base_url, token, server)."""
    port, token = free_port(), secrets.token_hex(16)
    settings_dir = workdir / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (settings_dir / name).write_text(json.dumps(values))
    env = {
        **os.environ,
        # The kernelspec starts "python": put this environment first on PATH (jupyter_client
        # also swaps in the server's sys.executable; the test checks the result).
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        # Keep the user's own Jupyter config, kernels, settings and workspaces out of the test.
        "JUPYTER_CONFIG_DIR": str(workdir / "config"),
        "JUPYTER_DATA_DIR": str(workdir / "data"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
        "IPYTHONDIR": str(workdir / "ipython"),
    }
    # A CI-wide MPLBACKEND=Agg would stop ipykernel from choosing its inline backend: no plots.
    env.pop("MPLBACKEND", None)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
        # Opening a notebook writes a checkpoint next to it: keep those out of the repository.
        f"--FileCheckpoints.checkpoint_dir={workdir / 'checkpoints'}",
        "--allow-root",  # CI containers run as root
    ]
    log_path = workdir / "jupyter-lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{base_url}/api/status?token={token}", server, SERVER_START_TIMEOUT_S)
            yield base_url, token, server
        finally:
            stop(server)
            print(f"jupyter lab log: {log_path}")


def wait_for_kernel(base_url, token, notebook, timeout_s):
    """Wait until the notebook's kernel is started, idle and connected to the page.

    Run All clicked before that is ignored by JupyterLab (no kernel yet to run the cells).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for session in get_json(f"{base_url}/api/sessions?token={token}"):
            kernel = session.get("kernel") or {}
            if session["path"] == notebook and kernel.get("execution_state") == "idle" \
                    and kernel.get("connections", 0) > 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"no idle kernel for {notebook} after {timeout_s} s")


def kernel_commands(server):
    return [p.cmdline() for p in psutil.Process(server.pid).children(recursive=True)
            if "ipykernel_launcher" in p.cmdline()]


# --- driving JupyterLab ------------------------------------------------------------------------

def run_menu(page, menu, item, otherwise=None):
    """Click an entry of JupyterLab's main menu, as a student would (or `otherwise` if it is greyed out)."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name=menu, exact=True).click()
    entry = menu_entry(page, item)
    if otherwise and entry.get_attribute("aria-disabled") == "true":
        entry = menu_entry(page, otherwise)
    entry.click()


def menu_entry(page, label):
    # By its label alone: an entry's accessible name also holds its keyboard shortcut.
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(label)}$"))
    return page.locator(".lm-Menu .lm-Menu-item", has=label)


def prompts(page):
    """Each code cell's prompt: '[ ]:' not run (or aborted), '[*]:' queued or running, '[7]:' run."""
    return page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def wait_for(condition, what, deadline):
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.5)


def run_every_cell(page, timeout_s):
    """Run All Cells; where an error stops the run, go on from the first cell not run yet.

    Run All stops at the first error, and the student version of a lesson raises
    NotImplementedError in every unanswered exercise: a student reading on runs the cells below.
    """
    deadline = time.monotonic() + timeout_s
    run_menu(page, "Run", "Run All Cells")
    start = 0
    while True:
        # The first cell of a run gets a number only once it has run: no race with the queueing.
        wait_for(lambda: prompts(page)[start] != "[ ]:", f"code cell {start} to run", deadline)
        wait_for(lambda: "[*]:" not in prompts(page), "the queued cells to finish", deadline)
        not_run = [i for i, prompt in enumerate(prompts(page)) if prompt == "[ ]:"]
        if not not_run:
            break
        start = not_run[0]
        page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").nth(start).click()  # select it
        # "...and All Below" is greyed out on the notebook's last cell.
        run_menu(page, "Run", "Run Selected Cell and All Below", otherwise="Run Selected Cell")
    page.locator(f'{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for()


def visible(page, selector):
    try:
        page.locator(selector).first.wait_for(state="visible")
        return True
    except PlaywrightTimeoutError:
        return False


def file_hash(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_notebook_in_lab(root_dir, notebook, workdir):
    """Open root_dir/notebook in JupyterLab, run every cell, and check what the student sees."""
    screenshot = workdir / "jupyterlab.png"
    with jupyter_lab(root_dir, workdir) as (base_url, token, server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        try:
            page.goto(f"{base_url}/lab/tree/{notebook}?token={token}")
            page.locator(NOTEBOOK).wait_for()
            wait_for_kernel(base_url, token, notebook, KERNEL_START_TIMEOUT_S)

            run_every_cell(page, LESSON_RUN_TIMEOUT_S)

            errors = page.locator(ERROR_OUTPUT).all_inner_texts()
            context = f"\nscreenshot: {screenshot}\nerror outputs:\n" + "\n---\n".join(errors)
            assert visible(page, PLOT), "no matplotlib plot (img output) on the page" + context
            assert visible(page, WIDGET), "no ipywidgets control on the page" + context
            assert WIDGET_ERROR not in page.content(), f"'{WIDGET_ERROR}' on the page" + context
            # The notebook ran in the Python that runs the tests, not in another one on PATH.
            commands = kernel_commands(server)
            assert commands and all(c[0] == sys.executable for c in commands), commands
        finally:
            page.screenshot(path=screenshot)
            print(f"screenshot: {screenshot}")
            browser.close()


# --- the test ----------------------------------------------------------------------------------

def test_lesson_01_runs_in_jupyterlab_with_plots_and_widgets(tmp_path):
    lesson = REPO / LESSON
    assert lesson.is_file(), f"{LESSON} is missing: generate the student version of lesson 01"
    if CHROMIUM is None:
        pytest.skip("no Chromium found; install Debian's: apt-get install -y chromium")
    before = file_hash(lesson)

    check_notebook_in_lab(REPO, LESSON, tmp_path)

    assert file_hash(lesson) == before, "running the lesson in JupyterLab changed the notebook file"
