"""Save a notebook's headline figures for the course scorecard, and plot rates with their intervals."""
from __future__ import annotations

import json
from pathlib import Path

from .paths import results_dir


def save_metrics(notebook: str, metrics: dict) -> Path:
    """Write ``metrics`` (name -> number) to ``results/metrics/<notebook>.json`` for the scorecard."""
    path = results_dir() / "metrics" / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}, indent=1))
    return path


def plot_rates(frames: dict, title: str, ylabel: str = "share of questions"):
    """Grouped bars with 95% intervals: ``frames`` maps a system name to a :func:`ragft.stats.rate_frame`
    table (rows: groups such as question types; columns k, n, rate, lo, hi). Each group's label
    shows its n, so a bar resting on 10 questions is not read like one resting on 100."""
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(frames)
    groups = list(next(iter(frames.values())).index)
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    for i, name in enumerate(names):
        f = frames[name].reindex(groups)
        x = np.arange(len(groups)) + (i - (len(names) - 1) / 2) * width
        err = np.vstack([f["rate"] - f["lo"], f["hi"] - f["rate"]])
        ax.bar(x, f["rate"], width, yerr=err, capsize=3, label=name)
    ns = next(iter(frames.values())).reindex(groups)["n"]
    ax.set_xticks(np.arange(len(groups)), [f"{g}\nn={n}" for g, n in zip(groups, ns)], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    plt.tight_layout()
    plt.show()


def saved_figure(notebook: str, key: str, default):
    """A figure or choice an earlier notebook saved with :func:`save_metrics` (e.g. notebook 02's chosen chunking),
    or ``default`` when that notebook has not run with this results folder. Prints which, so the reader knows."""
    path = results_dir() / "metrics" / f"{notebook}.json"
    saved = json.loads(path.read_text()) if path.is_file() else {}
    if key in saved:
        print(f"{key}: {saved[key]!r} (chosen on dev by notebook {notebook[:2]})")
        return saved[key]
    print(f"{key}: {default!r} (the course default: notebook {notebook[:2]} has not run with this results folder; run it to "
          "use your own choice)")
    return default
