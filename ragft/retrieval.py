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


def encode_cached(embedder, texts: list[str], model_id: str, batch_size: int = 32):
    """``embedder.encode(texts)``, computed once per model and exact list of texts, then read
    from the cache folder (``ragft.paths.cache_dir()/embeddings``).

    Embedding the whole knowledge base takes a minute or more on a laptop CPU; every later run of
    a notebook (and every notebook that chunks the same way) reuses the vectors. Any change to a
    text, the order, or the model gives a new cache entry.
    """
    import hashlib
    import sys

    from .paths import cache_dir

    digest = hashlib.sha256("\0".join([model_id, *texts]).encode("utf-8")).hexdigest()[:20]
    path = cache_dir() / "embeddings" / f"{digest}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            print(f"embeddings of {len(texts)} texts read from the cache ({path.name})", file=sys.stderr)
            return vectors
    vectors = embedder.encode(texts, batch_size=batch_size, show_progress_bar=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
