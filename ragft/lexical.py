"""Keyword search with BM25 (taught in notebook 03): bm25s with English stop words and Snowball stemming."""
from __future__ import annotations

import numpy as np


class BM25Index:
    """A BM25 index over ``texts`` (Lucene's formula, k1=1.2, b=0.75, Snowball English stemming).

    >>> index = BM25Index(["the refund window is 14 days", "invoices are sent monthly"])
    >>> index.search(["refunds"], k=1)[0][0].tolist()
    [0]
    """

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75, stem: bool = True):
        import bm25s
        import Stemmer

        if not texts:
            raise ValueError("BM25Index needs at least one text")
        self.stemmer = Stemmer.Stemmer("english") if stem else None
        self.size = len(texts)
        self.retriever = bm25s.BM25(k1=k1, b=b)
        self.retriever.index(self._tokens(texts), show_progress=False)

    def _tokens(self, texts: list[str]):
        return __import__("bm25s").tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)

    def search(self, queries: list[str], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, scores)``, each of shape ``(len(queries), k)``, best first (``k`` is capped at
        the number of texts). A query with no known word scores 0 everywhere."""
        k = min(k, self.size)
        ids, scores = self.retriever.retrieve(self._tokens(queries), k=k, show_progress=False, n_threads=1)
        return np.asarray(ids), np.asarray(scores)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of ``query`` against every text (length ``len(texts)``)."""
        import bm25s

        words = bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False)[0]
        return np.asarray(self.retriever.get_scores(words))
