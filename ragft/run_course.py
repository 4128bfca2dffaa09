"""Run the whole course headless: every solution notebook through papermill, in order.

``python -m ragft.run_course``                      default profile, results in results/default/
``python -m ragft.run_course --profile smoke``      quick sizes (what the tests use), results in results/smoke/
``python -m ragft.run_course --only 01``            notebooks whose name starts with 01

Each profile has its own results folder, so a smoke run never overwrites a default run. Writes executed notebooks to ``<out>/executed/``, each notebook's headline figures to
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


def _kernel_config():
    """Talk to the kernel over local sockets (IPC) where the system has them: over TCP, ipykernel warns on every run
    that the connection is unencrypted, which buries the run's own messages. Windows has no IPC; it keeps TCP."""
    from traitlets.config import Config

    config = Config()
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
    return config


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
            kernel_name=KERNEL, cwd=str(source.parent), progress_bar=True, config=_kernel_config(),
        )
    finally:
        if previous is None:
            os.environ.pop("RAGFT_RESULTS_DIR", None)
        else:
            os.environ["RAGFT_RESULTS_DIR"] = previous


RUN_FIELDS = ["finished_at", "notebook", "profile", "seconds", "status"]


def append_run(runs: Path, row: dict) -> None:
    """One line per notebook run in ``runs.csv``: when it finished, its profile, seconds and status."""
    new_file = not runs.is_file()
    with open(runs, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=RUN_FIELDS)
        if new_file:
            writer.writeheader()
        writer.writerow(row)


def failure_cause(exc: BaseException) -> str:
    """The failing cell and its error in full: papermill's own message ends with the traceback's last line, which
    for a chained error (a damaged model file behind a hub error) is not the cause."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is None:
        return f"{type(exc).__name__}: {exc}".strip()
    where = f"cell {exc.cell_index}" if getattr(exc, "cell_index", None) is not None else "a cell"
    return f"{where} raised {ename}: {evalue}"


def scorecard(results: Path, timings: list[dict], profile: str) -> str:
    lines = [f"Profile: {profile}", "", "| notebook | status | minutes | headline figures |", "|---|---|---|---|"]
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
    parser.add_argument("--out", type=Path, default=None, help="results folder (default results/<profile>/; git ignores results/)")
    args = parser.parse_args(argv)
    notebooks = [p for p in sorted(SOLUTIONS_DIR.glob("*.ipynb")) if p.name.startswith(args.only)]
    if not notebooks:
        print(f"No solution notebook starts with {args.only!r} in {SOLUTIONS_DIR}.", file=sys.stderr)
        return 1
    out = (args.out or COURSE_ROOT / "results" / args.profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    runs = out / "runs.csv"
    timings, failed = [], []
    for i, nb in enumerate(notebooks, start=1):
        print(f"[{i}/{len(notebooks)}] {nb.name} (profile {args.profile})", flush=True)
        start = time.perf_counter()
        status = "ok"
        try:
            run_notebook(nb, out / "executed" / nb.name, args.profile, out)
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
            status = "FAILED"
            failed.append((nb.name, failure_cause(exc)))
        seconds = time.perf_counter() - start
        finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        timings.append({"finished_at": finished, "notebook": nb.stem, "profile": args.profile, "seconds": round(seconds, 1), "status": status})
        append_run(out / "runs.csv", timings[-1])  # at once, so an interrupted run keeps the times it has
        print(f"    {status} in {seconds / 60:.1f} min", flush=True)
        if status != "ok":
            print("    " + failed[-1][1].replace("\n", "\n    "), file=sys.stderr, flush=True)
    card = scorecard(out, timings, args.profile)
    (out / "scorecard.md").write_text(card + "\n")
    verdicts = Counter(row["verdict"] for row in write_ledger(out))
    total = sum(t["seconds"] for t in timings)
    print(f"\n{card}\n\ntotal {total / 60:.1f} min. Executed notebooks: {out / 'executed'}; times: {runs}")
    print(f"claims ledger ({', '.join(f'{n} {v}' for v, n in verdicts.items())}): {out / 'claims_ledger.md'}")
    for name, cause in failed:
        print(f"FAILED {name}: {cause}\n  open {out / 'executed' / name} to see the failing cell", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
