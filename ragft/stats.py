"""Counts and 95% intervals for every rate the course shows (Wilson for proportions, bootstrap
for means and differences), so a sentence that ranks two systems can check that it may."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion ``successes / n`` (good for small n and rates near 0 or 1)."""
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes={successes} must be between 0 and n={n}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    # Round off float noise at the ends (10/10 gives an upper bound of exactly 1).
    return (0.0 if lo < 1e-12 else lo, 1.0 if hi > 1 - 1e-12 else hi)


def bootstrap_interval(values: Sequence[float], n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval for the mean of ``values`` (fixed seed: repeatable)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    return (float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail)))


def paired_difference(a: Sequence[float], b: Sequence[float], n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``a - b`` over the same items, with a paired bootstrap 95% interval.

    Use it to compare two systems on the same questions: the difference is clear only when the
    interval excludes 0.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same items: {a.shape} vs {b.shape}")
    diff = a - b
    lo, hi = bootstrap_interval(diff, n_boot=n_boot, seed=seed)
    return (float(diff.mean()), lo, hi)


def format_rate(successes: int, n: int, digits: int = 2) -> str:
    """``"7/60 = 0.12 [0.06, 0.22]"``: the count, the rate and its 95% Wilson interval."""
    if n == 0:
        return "0/0"
    lo, hi = wilson_interval(successes, n)
    return f"{successes}/{n} = {successes / n:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def rate_summary(flags: Sequence[bool]) -> dict:
    """Count, n, rate and Wilson interval of a list of yes/no outcomes (NaN entries are skipped)."""
    flags = [bool(f) for f in flags if not (isinstance(f, float) and math.isnan(f))]
    k, n = sum(flags), len(flags)
    lo, hi = wilson_interval(k, n)
    return {"k": k, "n": n, "rate": k / n if n else math.nan, "lo": lo, "hi": hi}


def rate_frame(frame, by: str | None, column: str, order: Sequence[str] | None = None):
    """One row per value of ``by`` (in ``order`` if given, plus "all"): k, n, rate, lo, hi of a yes/no column."""
    import pandas as pd

    groups = [] if by is None else list(frame.groupby(by, sort=False))
    if order is not None:
        groups = sorted((g for g in groups if g[0] in order), key=lambda g: list(order).index(g[0]))
    groups.append(("all", frame))
    return pd.DataFrame({name: rate_summary(part[column].tolist()) for name, part in groups}).T.astype(
        {"k": int, "n": int, "rate": float, "lo": float, "hi": float})


def rate_table(frame, by: str | None, columns: Sequence[str], digits: int = 2, order: Sequence[str] | None = None):
    """A table of ``"k/n = rate [lo, hi]"`` strings: one row per value of ``by`` (plus "all"), one column per yes/no column."""
    import pandas as pd

    return pd.DataFrame({c: [format_rate(k, n, digits) for k, n in zip(r["k"], r["n"])]
                         for c in columns for r in [rate_frame(frame, by, c, order)]},
                        index=rate_frame(frame, by, columns[0], order).index)
