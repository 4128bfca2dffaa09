"""Generate the workbook (``notebooks/``) from the complete notebooks (``solutions/``).

``python -m ragft.workbook``          rewrite notebooks/ from solutions/
``python -m ragft.workbook --check``  exit 1 if notebooks/ is out of date (a test runs this)

In a solution cell, the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
``# YOUR CODE HERE`` / ``raise NotImplementedError()`` at the same indentation. Outputs,
execution counts and run metadata are removed, so the workbook starts clean.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from .paths import SOLUTIONS_DIR, WORKBOOK_DIR
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_REGION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*(\n|\Z)", re.DOTALL | re.MULTILINE)
KEPT_CELL_METADATA = ("tags",)


def stub_source(source: str) -> str:
    """Replace every solution region in a cell's source with a stub."""
    def stub(match: re.Match) -> str:
        indent = match.group(1)
        return f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError(){match.group(2)}"

    stubbed = _REGION.sub(stub, source)
    if BEGIN in stubbed or END in stubbed:
        raise ValueError(f"unbalanced {BEGIN} / {END} markers in:\n{source}")
    return stubbed


def is_exercise(cell) -> bool:
    return cell.cell_type == "code" and BEGIN in cell.source


def strip_outputs(nb) -> None:
    """Remove outputs, execution counts and run metadata (papermill's), keeping cell tags."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def make_workbook(solution: Path) -> str:
    """The workbook version of one solution notebook, as notebook JSON text."""
    nb = nbformat.read(solution, as_version=4)
    strip_outputs(nb)
    for cell in nb.cells:
        if is_exercise(cell):
            cell.source = stub_source(cell.source)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragft.workbook", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether notebooks/ is up to date")
    args = parser.parse_args(argv)
    stale = []
    solutions = sorted(SOLUTIONS_DIR.glob("*.ipynb"))
    expected_names = {p.name for p in solutions}
    for solution in solutions:
        target = WORKBOOK_DIR / solution.name
        text = make_workbook(solution)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target.name)
            if not args.check:
                WORKBOOK_DIR.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
    orphans = sorted(p.name for p in WORKBOOK_DIR.glob("*.ipynb") if p.name not in expected_names)
    if args.check:
        if stale or orphans:
            print(f"notebooks/ is out of date: {stale + orphans}. Run: python -m ragft.workbook")
            return 1
        print(f"notebooks/ is up to date ({len(solutions)} notebooks)")
        return 0
    for name in orphans:
        (WORKBOOK_DIR / name).unlink()
    print(f"wrote {len(stale)} workbook notebook(s), removed {len(orphans)} without a solution")
    return 0


if __name__ == "__main__":
    sys.exit(main())
