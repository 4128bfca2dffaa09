"""Test-session settings: results go to a scratch folder; and nbval: which outputs of the committed solutions are compared on re-execution.

Plain-text outputs (tables, counts, metrics) are compared. HTML renderings of the same tables,
progress bars (stderr), widgets and images are not: they differ from run to run without the
figures differing. Cells whose text cannot repeat (timings, generated prose) carry the
``nbval-ignore-output`` tag in the notebook itself.
"""
import os
import tempfile
from pathlib import Path

COURSE_RESULTS = Path(__file__).resolve().parent / "results"

WIDGET = "application/vnd.jupyter.widget-view+json"


def _without_widgets(outputs):
    """Outputs minus widgets. Where ipywidgets is installed (``make lab`` adds it), tqdm draws its progress bars as
    widgets, whose plain-text part (``HBox(...)``) would otherwise be compared with a text bar."""
    return [o for o in outputs if WIDGET not in o.get("data", {})]


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr", WIDGET)


def pytest_configure(config):
    # Notebooks save their figures in results/ by default; a test run writes to a scratch folder instead, so that
    # `make test` never touches a learner's results. Kernels started by nbval and papermill inherit this.
    if "RAGFT_RESULTS_DIR" not in os.environ:
        os.environ["RAGFT_RESULTS_DIR"] = tempfile.mkdtemp(prefix="ragft-test-results-")
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return
    if getattr(IPyNbCell.compare_outputs, "ignores_widgets", False):
        return
    compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return compare(self, _without_widgets(test), _without_widgets(ref), skip_compare)

    compare_outputs.ignores_widgets = True
    IPyNbCell.compare_outputs = compare_outputs


def _snapshot(folder: Path):
    return None if not folder.exists() else sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def pytest_sessionstart(session):
    session.config._results_before = _snapshot(COURSE_RESULTS)


def pytest_sessionfinish(session, exitstatus):
    """`make test` must leave a learner's results/ as it found it: a test that writes there fails the run."""
    if _snapshot(COURSE_RESULTS) != getattr(session.config, "_results_before", None):
        print(f"\nERROR: the tests created or changed files in {COURSE_RESULTS}; they must write to RAGFT_RESULTS_DIR "
              "(a scratch folder in a test run)")
        session.exitstatus = 1
