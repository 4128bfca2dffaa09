"""The Makefile's commands as a learner types them (dry runs: nothing is installed or started)."""
import os
import shutil
import subprocess

import pytest

from ragft.paths import COURSE_ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*args: str) -> str:
    done = subprocess.run(["make", "-n", *args], cwd=COURSE_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_lab_passes_arguments_and_handles_root():
    out = dry_run("lab", "LAB_ARGS=--no-browser --ip=0.0.0.0 --port=8899")
    lab = [line for line in out.splitlines() if "jupyter lab" in line]
    assert lab and "--no-browser --ip=0.0.0.0 --port=8899" in lab[-1]
    assert ("--allow-root" in lab[-1]) == (os.geteuid() == 0), "--allow-root exactly when running as root"


def test_course_and_test_commands_are_the_documented_ones():
    assert "ragft.run_course --profile smoke" in dry_run("course", "PROFILE=smoke")
    assert "pytest tests solutions --nbval --nbval-current-env -m \"not smoke_course\"" in dry_run("test")
    assert '-m "not browser"' in dry_run("test-quick")
    readme = (COURSE_ROOT / "README.md").read_text()
    assert "make test" in readme and "make test" in (COURSE_ROOT / ".ci" / "run").read_text()
