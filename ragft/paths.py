"""Where the course's files live. Every path the notebooks use comes from here."""
from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the folder holding ``ragft/``, ``data/`` and ``solutions/``).
COURSE_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "RAGFT_DATA_DIR"


def _data_dir() -> Path:
    """The course data: ``data/`` in the course, or the folder ``RAGFT_DATA_DIR`` names (a shared read-only copy on a
    JupyterHub, or data you changed). Checked at import, so a wrong setting fails at once with the fix."""
    if not os.environ.get(DATA_DIR_ENV):
        return COURSE_ROOT / "data"
    folder = Path(os.environ[DATA_DIR_ENV]).expanduser().resolve()
    missing = [name for name in ("kb", "eval", "finetune") if not (folder / name).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"{DATA_DIR_ENV}={os.environ[DATA_DIR_ENV]} does not hold the course data: no {', '.join(m + '/' for m in missing)} "
            f"in {folder}. Point it at a copy of the course's data/ folder, or unset it to use {COURSE_ROOT / 'data'}."
        )
    return folder


DATA_DIR = _data_dir()
KB_DIR = DATA_DIR / "kb"
EVAL_DIR = DATA_DIR / "eval"
FINETUNE_DIR = DATA_DIR / "finetune"
SOLUTIONS_DIR = COURSE_ROOT / "solutions"
WORKBOOK_DIR = COURSE_ROOT / "notebooks"


def results_dir(create: bool = True) -> Path:
    """Folder for run outputs (executed notebooks, metrics, timings); git ignores it.

    Set ``RAGFT_RESULTS_DIR`` to write somewhere else (the course runner and tests do). ``create=False`` only
    names the folder.
    """
    path = Path(os.environ.get("RAGFT_RESULTS_DIR", COURSE_ROOT / "results"))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder for things the course builds once and reuses (converted models, embeddings).

    Set ``RAGFT_CACHE_DIR`` to move it; by default it is ``~/.cache/ragft``.
    """
    path = Path(os.environ.get("RAGFT_CACHE_DIR", Path.home() / ".cache" / "ragft"))
    path.mkdir(parents=True, exist_ok=True)
    return path
