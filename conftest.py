"""nbval settings: which outputs of the committed solutions are compared on re-execution.

Plain-text outputs (tables, counts, metrics) are compared. HTML renderings of the same tables,
progress bars (stderr), widgets and images are not: they differ from run to run without the
figures differing. Cells whose text cannot repeat (timings, generated prose) carry the
``nbval-ignore-output`` tag in the notebook itself.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr", "application/vnd.jupyter.widget-view+json")
