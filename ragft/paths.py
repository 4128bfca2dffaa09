"""Where the course's files live. Every path the notebooks use comes from here."""
from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder holding ``ragft/``, ``data/`` and ``solutions/``).
COURSE_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = COURSE_ROOT / "data"
KB_DIR = DATA_DIR / "kb"
EVAL_DIR = DATA_DIR / "eval"
FINETUNE_DIR = DATA_DIR / "finetune"


def results_dir() -> Path:
    """Folder for run outputs (executed notebooks, metrics, timings); git ignores it.

    Set ``RAGFT_RESULTS_DIR`` to write somewhere else (the course runner and tests do).
    """
    path = Path(os.environ.get("RAGFT_RESULTS_DIR", COURSE_ROOT / "results"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for things the course builds once and reuses (converted models, embeddings).

    Set ``RAGFT_CACHE_DIR`` to move it; by default it is ``~/.cache/ragft``.
    """
    path = Path(os.environ.get("RAGFT_CACHE_DIR", Path.home() / ".cache" / "ragft"))
    path.mkdir(parents=True, exist_ok=True)
    return path
