"""Re-execute the solution notebooks in place with their own defaults (the default profile),
so the committed outputs are those of a real run: ``python -m ragft.refresh_solutions [prefix]``.

Run metadata papermill adds (per-cell timings) is removed so diffs show only real changes.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .run_course import run_notebook
from .workbook import SOLUTIONS_DIR


def refresh(solution: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / solution.name
        run_notebook(solution, executed, profile=None, results=Path(tmp))
        nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    solution.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    prefix = argv[0] if argv else ""
    for solution in sorted(SOLUTIONS_DIR.glob(f"{prefix}*.ipynb")):
        print(f"refreshing {solution.name}", flush=True)
        start = time.perf_counter()
        refresh(solution)
        print(f"    {solution.name} ran in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
