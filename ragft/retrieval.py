"""Dense retrieval by cosine similarity (taught by hand in notebook 01)."""
from __future__ import annotations

import numpy as np


def cosine_top_k(query: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine scores of the ``k`` rows of ``matrix`` most similar to ``query``, best first.

    Works for unnormalised vectors; ``k`` larger than the number of rows returns every row.
    """
    q = query / np.linalg.norm(query)
    m = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    scores = m @ q
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return top, scores[top]
