"""Re-execute the solution notebooks in place with their own defaults (the default profile),
so the committed outputs are those of a real run: ``python -m ragft.refresh_solutions [prefix]``.

Run metadata papermill adds (per-cell timings) is removed so diffs show only real changes.
"""
from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .run_course import run_notebook
from .workbook import SOLUTIONS_DIR


_PROGRESS_BAR = re.compile(r"\r|\d+%\|")


def tidy_outputs(cell) -> None:
    """Drop progress-bar redraws (stderr written with \\r) and merge consecutive stream outputs.

    Progress bars help while a notebook runs but only add noise to committed outputs; real
    warnings on stderr are kept.
    """
    tidy = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            if out.name == "stderr" and (_PROGRESS_BAR.search(out.text) or not out.text.strip()):
                continue
            if tidy and tidy[-1].output_type == "stream" and tidy[-1].name == out.name:
                tidy[-1].text += out.text
                continue
        tidy.append(out)
    cell.outputs = tidy


def refresh(solution: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / solution.name
        run_notebook(solution, executed, profile=None, results=Path(tmp))
        nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            tidy_outputs(cell)
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
