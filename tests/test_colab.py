"""The Colab path of the setup cell, with Colab simulated: Colab itself is not reachable from here.

The setup cell's own source is executed with a fake ``google.colab`` module in ``sys.modules``, its clone target moved
to a temporary folder, and ``subprocess.run`` recording commands instead of running them (``git clone`` copies this
course; ``nvidia-smi`` answers as a T4 or as a CPU runtime would).
"""
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from notebook_tools import SOLUTIONS, read
from ragft.colab import MARKER, runtime_message
from ragft.paths import COURSE_ROOT

TOOLS = ("pytest", "nbval", "papermill", "ipykernel", "jupyterlab", "playwright", "nbformat")


def setup_cell(notebook_prefix: str) -> str:
    path = next(s for s in SOLUTIONS if s.name.startswith(notebook_prefix))
    return next(c for c in read(path).cells if c.cell_type == "code").source


class FakeColab:
    """Records every command the cell runs; plays git and nvidia-smi."""

    def __init__(self, gpu: str | None):
        self.gpu, self.commands = gpu, []

    def __call__(self, command, **kwargs):
        self.commands.append(list(command))
        if command[0] == "git":  # the clone: a copy of this course's files that the cell needs
            target = Path(command[-1])
            for name in ("ragft", "requirements", "data"):
                shutil.copytree(COURSE_ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            for name in ("requirements-nodeps.txt", "requirements-gpu.txt"):
                shutil.copy(COURSE_ROOT / name, target / name)
            return subprocess.CompletedProcess(command, 0, "", "")
        if command[0] == "nvidia-smi":
            if self.gpu is None:
                raise FileNotFoundError("nvidia-smi")
            return subprocess.CompletedProcess(command, 0, self.gpu, "")
        return subprocess.CompletedProcess(command, 0, "", "")  # pip

    def pip_lines(self) -> list[str]:
        return [" ".join(c) for c in self.commands if "pip" in c]


def run_on_fake_colab(notebook_prefix, gpu, tmp_path, monkeypatch, capsys):
    fake = FakeColab(gpu)
    monkeypatch.setattr(subprocess, "run", fake)
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the cell prepends the clone; undo it afterwards
    root = tmp_path / "content" / "rag-vs-fine-tuning"
    source = setup_cell(notebook_prefix).replace('"/content/rag-vs-fine-tuning"', repr(str(root)))
    # `import ragft` at the end finds this course's package (already imported); the Colab branch is what is tested.
    exec(compile(source, "setup-cell", "exec"), {"__name__": "__main__"})
    return fake, root, capsys.readouterr().out


def test_a_rag_notebook_installs_only_what_notebooks_import_and_keeps_colabs_torch(tmp_path, monkeypatch, capsys):
    fake, root, out = run_on_fake_colab("01", gpu=None, tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert fake.commands[0][:2] == ["git", "clone"] and "github.com/ragft-course/rag-vs-fine-tuning" in fake.commands[0][-2]
    pips = fake.pip_lines()
    assert len(pips) == 2 and "requirements/course.txt" in pips[0] and "--no-deps" in pips[1]
    assert all("-c" in line.split() for line in pips), "every pip command carries the keep-torch constraints"
    constraints = Path(pips[0].split(" -c ")[1].split()[0]).read_text()
    assert constraints.startswith("torch==")
    assert not any("unsloth" in line for line in pips), "no Unsloth for a notebook that does not fine-tune"
    installed = (root / "requirements" / "course.txt").read_text() + (root / "requirements-nodeps.txt").read_text()
    for tool in TOOLS + ("torch",):
        assert not [l for l in installed.splitlines() if l.split("==")[0].strip().lower() == tool], f"{tool} would be pinned into Colab's kernel"
    assert "Colab runtime: CPU. This notebook needs no GPU." in out


def test_a_finetuning_notebook_on_a_t4_adds_unsloth_and_reports_the_gpu(tmp_path, monkeypatch, capsys):
    fake, root, out = run_on_fake_colab("07", gpu="Tesla T4, 15360", tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    pips = fake.pip_lines()
    assert len(pips) == 3 and "unsloth==" in pips[2] and "unsloth_zoo==" in pips[2]
    assert "Colab runtime: GPU Tesla T4, 15.0 GiB." in out and 'PROFILE = "t4"' in out
    assert (root / MARKER).read_text() == "unsloth\n"
    # a second run in the same runtime installs nothing
    again, _, _ = run_on_fake_colab("07", gpu="Tesla T4, 15360", tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert again.pip_lines() == []


def test_a_finetuning_notebook_on_a_cpu_runtime_says_how_to_get_a_gpu(tmp_path, monkeypatch, capsys):
    fake, _, out = run_on_fake_colab("08", gpu=None, tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert not any("unsloth" in line for line in fake.pip_lines())
    assert "CPU only" in out and "Runtime > Change runtime type > T4 GPU" in out


def test_a_failed_install_stops_with_what_to_do(tmp_path, monkeypatch, capsys):
    class FailingPip(FakeColab):
        def __call__(self, command, **kwargs):
            done = super().__call__(command, **kwargs)
            return subprocess.CompletedProcess(command, 1, "", "") if "pip" in command else done

    monkeypatch.setattr(sys.modules[__name__], "FakeColab", FailingPip)
    with pytest.raises(RuntimeError, match="pip exit code 1.*Disconnect and delete runtime"):
        run_on_fake_colab("01", gpu=None, tmp_path=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert not (tmp_path / "content" / "rag-vs-fine-tuning" / MARKER).exists(), "a failed install is retried next time"


def test_a_small_gpu_gets_a_warning():
    assert "may not fit" in runtime_message(True, ("Tesla K80", 11.2))
    assert "may not fit" not in runtime_message(False, ("Tesla K80", 11.2))


def test_locally_the_cell_runs_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(COURSE_ROOT / "notebooks")
    namespace = {}
    exec(compile(setup_cell("07"), "setup-cell", "exec"), namespace)
    assert calls == [] and namespace["COURSE_ROOT"] == COURSE_ROOT
