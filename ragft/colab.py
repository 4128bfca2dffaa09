"""Prepare a Google Colab runtime for the course: what the first cell of every notebook runs on Colab.

The setup cell clones the course, then runs this file by path (``runpy``), before anything else of the course can
be imported, so it uses the standard library only. It installs what the notebooks import
(``requirements/course.txt`` and the no-deps files), never the tools that run and test the course (JupyterLab,
papermill, pytest, nbval, ipykernel pins: Colab has its own Jupyter), keeps Colab's torch (a constraints file pins
the installed version), adds Unsloth only for a fine-tuning notebook on a GPU runtime, and says which GPU it has.
Locally (JupyterLab, papermill) none of this runs.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

#: The course's repository: the setup cell of every notebook clones it on Colab (tests check they agree).
COURSE_GIT_URL = "https://github.com/ragft-course/rag-vs-fine-tuning"
#: Where the setup cell clones it on Colab.
COLAB_ROOT = Path("/content/rag-vs-fine-tuning")
#: Written after a successful install, so re-running the cell (or another notebook) in the same runtime is instant.
MARKER = ".ragft-colab-installed"
#: Fine-tuning on a GPU is slow and memory-hungry below this (a T4 has 15 GiB).
MIN_GPU_GIB = 12


def gpu_info(run=subprocess.run) -> tuple[str, float] | None:
    """``(name, GiB)`` of the first NVIDIA GPU, or ``None`` on a CPU runtime. Asks ``nvidia-smi``, so torch stays unloaded."""
    try:
        done = run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                   capture_output=True, text=True, check=False)
    except (FileNotFoundError, OSError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    name, mib = [part.strip() for part in done.stdout.strip().splitlines()[0].split(",")]
    return name, float(mib) / 1024


def runtime_message(needs_gpu: bool, gpu: tuple[str, float] | None) -> str:
    """What the learner should know about this runtime, for a notebook that does (or does not) fine-tune."""
    if gpu is None:
        if not needs_gpu:
            return "Colab runtime: CPU. This notebook needs no GPU."
        return ("Colab runtime: CPU only. This notebook fine-tunes a model: it will run, on the CPU path with the "
                "default profile, but slowly, and PROFILE = \"t4\" will not work. For the GPU path: Runtime > Change "
                "runtime type > T4 GPU, then run this cell again.")
    name, gib = gpu
    line = f"Colab runtime: GPU {name}, {gib:.1f} GiB."
    if needs_gpu and gib < MIN_GPU_GIB:
        line += (f" Under {MIN_GPU_GIB} GiB the t4 profile's 1.5B model may not fit: lower BATCH_SIZE in the parameters "
                 "cell, or use the default profile.")
    elif needs_gpu:
        line += " Set PROFILE = \"t4\" in the parameters cell to fine-tune with Unsloth."
    return line


def install_commands(course_root: Path, needs_gpu: bool, has_gpu: bool, python: str = sys.executable) -> list[list[str]]:
    """The pip commands for this runtime. Each carries a constraints file that pins Colab's installed torch."""
    pip = [python, "-m", "pip", "install", "--quiet", "-c", str(_torch_constraints())]
    commands = [pip + ["-r", str(course_root / "requirements" / "course.txt")],
                pip + ["--no-deps", "-r", str(course_root / "requirements-nodeps.txt")]]
    if needs_gpu and has_gpu:
        unsloth = [line.strip() for line in (course_root / "requirements-gpu.txt").read_text().splitlines()
                   if line.strip().startswith("unsloth")]
        commands.append(pip + unsloth)
    return commands


def _torch_constraints() -> Path:
    path = Path(tempfile.gettempdir()) / "ragft-keep-torch.txt"
    try:
        path.write_text(f"torch=={metadata.version('torch')}\n")
    except metadata.PackageNotFoundError:  # no torch at all: nothing to keep (pip then installs course.txt's needs)
        path.write_text("")
    return path


def prepare_colab(course_root: Path = COLAB_ROOT, needs_gpu: bool = False, run=subprocess.run) -> list[list[str]]:
    """Install the course's requirements into this Colab runtime (once) and report the runtime. Returns the commands run."""
    gpu = gpu_info(run)
    marker = Path(course_root) / MARKER
    commands = [] if marker.is_file() and (not needs_gpu or "unsloth" in marker.read_text()) else install_commands(
        Path(course_root), needs_gpu, gpu is not None)
    for command in commands:
        print("$ pip install " + " ".join(command[command.index("install") + 1:]), flush=True)
        done = run(command, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"Installing the course's requirements failed (pip exit code {done.returncode}); the "
                               "lines above say which package. Runtime > Disconnect and delete runtime, then run this "
                               "cell again. If it fails again, please report it with those lines.")
    if commands:
        marker.write_text("unsloth\n" if any("unsloth" in " ".join(c) for c in commands) else "course\n")
    print(runtime_message(needs_gpu, gpu))
    return commands
