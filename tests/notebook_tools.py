"""Shared by the notebook tests: read solution notebooks and find their exercises."""
from pathlib import Path

import nbformat

from ragft.workbook import SOLUTIONS_DIR, WORKBOOK_DIR, is_exercise, stub_source

SOLUTIONS = sorted(SOLUTIONS_DIR.glob("*.ipynb"))


def read(path: Path):
    return nbformat.read(path, as_version=4)


def exercises(path: Path):
    """(exercise source, check cell source) pairs: each exercise cell and the code cell after it."""
    code = [c for c in read(path).cells if c.cell_type == "code"]
    return [(cell.source, code[i + 1].source) for i, cell in enumerate(code) if is_exercise(cell)]


__all__ = ["SOLUTIONS", "WORKBOOK_DIR", "exercises", "read", "stub_source"]
