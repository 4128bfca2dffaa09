"""Fusing ranked lists from several retrievers (taught by hand in notebook 03, then with ranx)."""
from __future__ import annotations

from collections import defaultdict


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion: each id scores ``sum(1 / (k + rank))`` over the lists holding it
    (ranks start at 1). Returns ``{id: score}`` sorted best first; ties keep first-seen order.

    >>> reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60)
    {'b': 0.03252247488101534, 'a': 0.01639344262295082, 'c': 0.016129032258064516}
    """
    fused: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] += 1 / (k + rank)
    return dict(sorted(fused.items(), key=lambda item: -item[1]))


def min_max(scores: dict[str, float]) -> dict[str, float]:
    """Scores rescaled to [0, 1] (all equal scores become 1)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    return {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in scores.items()}


def weighted_fusion(score_lists: list[dict[str, float]], weights: list[float]) -> dict[str, float]:
    """Weighted sum of min-max-normalised scores; an id missing from a list gets 0 there.
    Returns ``{id: score}`` sorted best first (ranx's ``fuse(norm="min-max", method="wsum")``)."""
    if len(score_lists) != len(weights):
        raise ValueError(f"{len(score_lists)} score lists but {len(weights)} weights")
    fused: dict[str, float] = defaultdict(float)
    for scores, weight in zip(score_lists, weights):
        for doc_id, s in min_max(scores).items():
            fused[doc_id] += weight * s
    return dict(sorted(fused.items(), key=lambda item: -item[1]))
