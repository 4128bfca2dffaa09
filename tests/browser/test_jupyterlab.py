"""A learner's path through JupyterLab, in a real browser (headless Chromium driven by Playwright).

JupyterLab starts on 127.0.0.1 with a token over a scratch copy of one workbook notebook and its
solution. In the workbook, Run All must stop at the first exercise's check with the stub's
"Not done yet" message and run nothing after it; in the solution every cell must run without an
error. Screenshots go to ``RAGFT_SCREENSHOTS_DIR`` (``make screenshots`` points it at
docs/screenshots, which the README shows) or to pytest's temporary folder.

The browser is the system's Chromium (Debian: ``apt-get install chromium``); Playwright never
downloads one. Without Chromium or Playwright the test is skipped, unless ``RAGFT_REQUIRE_BROWSER=1``
(CI sets it), which turns the skip into a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ragft.paths import COURSE_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = os.environ.get("RAGFT_BROWSER_NOTEBOOK", "00_setup_and_tour.ipynb")
TOKEN = "ragft-browser-test"
STUB_MESSAGE = "Not done yet"
JUPYTER = Path(sys.executable).parent / "jupyter"


def _missing(reason: str):
    if os.environ.get("RAGFT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (RAGFT_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    _missing("no Chromium on PATH: install it with `apt-get install chromium` (Debian/Ubuntu)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str):
    with urllib.request.urlopen(f"{base}{path}?token={TOKEN}", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a scratch course: the helper package and data linked, the notebooks copied."""
    if not JUPYTER.is_file():
        _missing(f"JupyterLab is not installed in {sys.prefix}: run `make install`")
    root = tmp_path_factory.mktemp("course")
    for name in ("ragft", "data"):
        (root / name).symlink_to(COURSE_ROOT / name)
    for folder in ("notebooks", "solutions"):
        (root / folder).mkdir()
        shutil.copy(COURSE_ROOT / folder / NOTEBOOK, root / folder / NOTEBOOK)
    # No "get notified about Jupyter news?" pop-up over the screenshots.
    (root / ".jupyter-config" / "labconfig").mkdir(parents=True)
    (root / ".jupyter-config" / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port = _free_port()
    env = {**os.environ, "RAGFT_RESULTS_DIR": str(tmp_path_factory.mktemp("results")),
           "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"), "JUPYTERLAB_SETTINGS_DIR": str(root / ".lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".lab-workspaces")}
    command = [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "jupyterlab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _api(base, "/api/status")
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(root / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not answer in 60 s:\n{(root / 'jupyterlab.log').read_text()[-3000:]}")
        yield base, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed: run `make install`")
    executable = _chromium()
    with sync_playwright() as p:
        # --no-sandbox: Chromium's sandbox cannot start as root (CI, containers).
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("RAGFT_SCREENSHOTS_DIR") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _kernel_states(base: str, relative: str) -> list[str]:
    return [s["kernel"]["execution_state"] for s in _api(base, "/api/sessions") if s["path"] == relative]


def _wait_for(condition, timeout_s: float, message: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.5)


def run_all_and_save(browser, base: str, root: Path, relative: str, timeout_s: float = 300):
    """Open a notebook in JupyterLab, Run > Run All Cells, wait for the kernel to go idle, save; return (page, notebook)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/lab/tree/{relative}?token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    # The kernel must be started and connected before Run All; "starting" would read as busy below.
    _wait_for(lambda: _kernel_states(base, relative) == ["idle"], 60, f"the kernel of {relative} did not start")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Busy first, then idle for good: poll the server, which knows the kernel's state.
    deadline = time.monotonic() + timeout_s
    seen_busy, idle_since = False, None
    while time.monotonic() < deadline:
        busy = "busy" in _kernel_states(base, relative)
        seen_busy |= busy
        if seen_busy and not busy:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 3:
                break
        else:
            idle_since = None
        time.sleep(0.5)
    else:
        pytest.fail(f"{relative} was still running after {timeout_s:.0f} s")
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)  # the save is a request to the server; the file is then on disk
    return page, json.loads((root / relative).read_text())


def _show(page, element) -> None:
    """Scroll an output into the window for the screenshot. JupyterLab renders long notebooks lazily and corrects the
    cells' heights after the first scroll, so scroll until the output stays in view."""
    element.wait_for(state="attached", timeout=10_000)
    for _ in range(6):
        element.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        box = element.bounding_box()
        if box and 0 <= box["y"] < page.viewport_size["height"] - 100:
            return


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


def test_workbook_run_all_stops_at_the_first_exercise_with_the_stub_message(lab, browser, screenshots):
    base, root = lab
    page, nb = run_all_and_save(browser, base, root, f"notebooks/{NOTEBOOK}")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    failing = [i for i, c in enumerate(code) if _errors(c)]
    assert failing, "Run All finished without an error: the workbook's first exercise did not stop it"
    first = failing[0]
    error = _errors(code[first])[0]
    assert STUB_MESSAGE in error["evalue"], f"the first error is not the stub's message: {error['ename']}: {error['evalue']}"
    assert "raise NotImplementedError()" in "".join(code[first - 1]["source"]), "the error did not come from the check after an exercise"
    assert all(c["execution_count"] for c in code[:first]), "a cell before the exercise did not run"
    assert not any(c["execution_count"] for c in code[first + 1:]), "cells after the failing check ran"
    _show(page, page.locator(".jp-OutputArea-output", has_text=STUB_MESSAGE).first)
    page.screenshot(path=screenshots / "workbook_stops_at_exercise.png")
    page.close()


def test_solution_runs_every_cell_without_an_error(lab, browser, screenshots):
    base, root = lab
    page, nb = run_all_and_save(browser, base, root, f"solutions/{NOTEBOOK}")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    not_run = [i for i, c in enumerate(code) if not c["execution_count"]]
    failed = [(i, e["ename"], e["evalue"][:200]) for i, c in enumerate(code) for e in _errors(c)]
    assert not failed, f"cells failed in the browser: {failed}"
    assert not not_run, f"code cells that did not run: {not_run}"
    _show(page, page.locator(".jp-OutputArea-output", has_text="cases pass").first)
    page.screenshot(path=screenshots / "solution_runs.png")
    page.close()
