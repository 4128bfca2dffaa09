"""Run the whole course headless: every solution notebook through papermill, in order.

``python -m ragft.run_course``                      default profile, results in results/
``python -m ragft.run_course --profile smoke``      quick sizes (what the tests use)
``python -m ragft.run_course --only 01``            notebooks whose name starts with 01

Writes executed notebooks to ``<out>/executed/``, each notebook's headline figures to
``<out>/metrics/``, appends every run's times to ``<out>/runs.csv``, prints a scorecard (also saved as
``<out>/scorecard.md``) and writes the claims ledger computed from the metrics (``<out>/claims_ledger.md`` and
``.json``, see :mod:`ragft.ledger`). Exits 1 if a notebook fails, naming it.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from .ledger import write_ledger
from .paths import COURSE_ROOT
from .profiles import PROFILES
from .workbook import SOLUTIONS_DIR

KERNEL = "python3"


def run_notebook(source: Path, output: Path, profile: str | None, results: Path) -> None:
    """Execute one notebook with papermill in this Python environment.

    ``profile=None`` injects nothing (the notebook's own defaults). ``RAGFT_RESULTS_DIR`` tells
    the notebook where to save its figures.
    """
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("RAGFT_RESULTS_DIR")
    os.environ["RAGFT_RESULTS_DIR"] = str(results)  # the kernel inherits this process's environment
    try:
        pm.execute_notebook(
            str(source), str(output),
            parameters={"PROFILE": profile} if profile else {},
            kernel_name=KERNEL, cwd=str(source.parent), progress_bar=True,
        )
    finally:
        if previous is None:
            os.environ.pop("RAGFT_RESULTS_DIR", None)
        else:
            os.environ["RAGFT_RESULTS_DIR"] = previous


def scorecard(results: Path, timings: list[dict]) -> str:
    lines = ["| notebook | status | minutes | headline figures |", "|---|---|---|---|"]
    for t in timings:
        metrics_file = results / "metrics" / f"{t['notebook']}.json"
        figures = json.loads(metrics_file.read_text()) if metrics_file.is_file() and t["status"] == "ok" else {}
        shown = ", ".join(f"{k} {v}" for k, v in figures.items())
        lines.append(f"| {t['notebook']} | {t['status']} | {t['seconds'] / 60:.1f} | {shown} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragft.run_course", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--only", default="", help="run only notebooks whose name starts with this")
    parser.add_argument("--out", type=Path, default=COURSE_ROOT / "results", help="results folder (git ignores results/)")
    args = parser.parse_args(argv)
    notebooks = [p for p in sorted(SOLUTIONS_DIR.glob("*.ipynb")) if p.name.startswith(args.only)]
    if not notebooks:
        print(f"No solution notebook starts with {args.only!r} in {SOLUTIONS_DIR}.", file=sys.stderr)
        return 1
    out = args.out.resolve()
    timings, failed = [], []
    for i, nb in enumerate(notebooks, start=1):
        print(f"[{i}/{len(notebooks)}] {nb.name} (profile {args.profile})", flush=True)
        start = time.perf_counter()
        status = "ok"
        try:
            run_notebook(nb, out / "executed" / nb.name, args.profile, out)
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
            status = "FAILED"
            failed.append(f"{nb.name}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__}")
        seconds = time.perf_counter() - start
        timings.append({"notebook": nb.stem, "profile": args.profile, "seconds": round(seconds, 1), "status": status})
        print(f"    {status} in {seconds / 60:.1f} min", flush=True)
    runs = out / "runs.csv"
    new_file = not runs.is_file()
    with open(runs, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["finished_at", "notebook", "profile", "seconds", "status"])
        if new_file:
            writer.writeheader()
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        writer.writerows({"finished_at": stamp, **t} for t in timings)
    card = scorecard(out, timings)
    (out / "scorecard.md").write_text(card + "\n")
    verdicts = Counter(row["verdict"] for row in write_ledger(out))
    total = sum(t["seconds"] for t in timings)
    print(f"\n{card}\n\ntotal {total / 60:.1f} min. Executed notebooks: {out / 'executed'}; times: {runs}")
    print(f"claims ledger ({', '.join(f'{n} {v}' for v, n in verdicts.items())}): {out / 'claims_ledger.md'}")
    for line in failed:
        print(f"FAILED {line}\n  open {out / 'executed' / line.split(':')[0]} to see the failing cell", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
