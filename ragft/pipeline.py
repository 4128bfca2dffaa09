"""The course's best retrieval pipeline, assembled in notebook 05 from what notebooks 02-04 taught:
chunking chosen on dev (02), dense + BM25 fused by reciprocal rank (03), a validity-date filter (04) and
the course-trained cross-encoder reranker (03). Notebooks 08-10 use it through :func:`retrieve`:

>>> hits = retrieve("How long is the refund window?", on="2025-11-04", k=3)   # doctest: +SKIP
>>> [h["chunk_id"] for h in hits]                                              # doctest: +SKIP
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .fusion import reciprocal_rank_fusion
from .kb import versions_of
from .retrieval import encode_cached

#: Used when notebooks 02 and 03 have not saved their choices in this results folder.
DEFAULT_CHUNKING = "markdown sections"
DEFAULT_RERANK_DEPTH = 20


def ticket_reranker_examples(tickets: list[dict], chunks: list[dict], vectors: np.ndarray, bm25, embedder, docs_by_id: dict,
                             n_negatives: int = 3, model_id: str = "sentence-transformers/all-MiniLM-L6-v2") -> list[tuple[str, str, float]]:
    """``(query, chunk text, label)`` pairs for training a reranker on support tickets (notebook 03).

    The query is the ticket's subject and body; the positive is the chunk of a cited document (``kb_ids``)
    closest to the ticket's gold reply; the negatives are the chunks that dense + BM25 fusion ranks highest
    for the ticket among other documents (never another version of a cited one). ``vectors`` are the chunks'
    unit vectors; ``bm25`` a :class:`ragft.lexical.BM25Index` over the same chunks.
    """
    query_of = lambda t: t["messages"][1]["content"].split("Subject: ", 1)[-1]  # noqa: E731 (drop the header lines)
    answers = [json.loads(t["messages"][2]["content"]) for t in tickets]
    usable = [(t, a) for t, a in zip(tickets, answers) if any(d in docs_by_id for d in a["kb_ids"])]
    if not usable:
        return []
    # Cached like the chunk vectors, so the same tickets give the same pairs (and the same reranker cache key) on every run.
    replies = encode_cached(embedder, [a["reply"] for _, a in usable], model_id)
    queries = encode_cached(embedder, [query_of(t) for t, _ in usable], model_id)
    keyword_top, _ = bm25.search([query_of(t) for t, _ in usable], k=20)
    examples = []
    for (ticket, answer), reply, query, keyword in zip(usable, replies, queries, keyword_top):
        cited = [d for d in answer["kb_ids"] if d in docs_by_id]
        rows = [i for i, c in enumerate(chunks) if c["doc_id"] in cited]
        positive = rows[int(np.argmax(vectors[rows] @ (reply / np.linalg.norm(reply))))]
        excluded = {v for d in cited for v in versions_of(d, docs_by_id)}
        fused = reciprocal_rank_fusion([list(np.argsort(-(vectors @ query))[:20]), list(keyword)])
        negatives = [i for i in fused if chunks[i]["doc_id"] not in excluded][:n_negatives]
        examples.append((query_of(ticket), chunks[positive]["text"], 1.0))
        examples.extend((query_of(ticket), chunks[i]["text"], 0.0) for i in negatives)
    return examples


@dataclass
class RetrievalPipeline:
    """Hybrid retrieval over ``chunks``: dense top-``pool`` and BM25 top-``pool`` fused by RRF, optionally only the
    versions in force on the question's date, then the top ``rerank_depth`` reranked by ``reranker``."""

    chunks: list[dict]
    vectors: np.ndarray  # unit vectors, one per chunk
    bm25: object
    embedder: object
    docs_by_id: dict
    reranker: object | None = None
    rerank_depth: int = DEFAULT_RERANK_DEPTH
    date_filter: bool = True
    pool: int = 50
    hybrid: bool = True  # False: dense search alone
    _rerank_memo: dict = field(default_factory=dict, repr=False)  # (question, chunk row) -> score; shareable over the same chunks

    def candidates(self, question: str, on=None, query_vector=None) -> tuple[list[int], float]:
        """Fused candidate rows (best first) and the best dense cosine score (for an abstention threshold)."""
        from .vectorstore import date_of_question

        query = self.embedder.encode([question])[0] if query_vector is None else query_vector
        cosine = self.vectors @ (query / np.linalg.norm(query))
        rows = [int(r) for r in np.argsort(-cosine, kind="stable")[:self.pool]]
        if self.hybrid:
            rows = list(reciprocal_rank_fusion([rows, [int(r) for r in self.bm25.search([question], k=self.pool)[0][0]]]))
        if self.date_filter and on is not None:
            day = date_of_question(question, on)
            rows = [r for r in rows if self.docs_by_id[self.chunks[r]["doc_id"]].valid_on(day)]
        return rows, float(cosine[rows].max()) if rows else 0.0

    def __call__(self, question: str, on: date | str | None = None, k: int = 5, query_vector=None) -> list[dict]:
        """The ``k`` best chunks for ``question`` asked on ``on``: dicts with chunk_id, doc_id, text, score, best first.
        ``query_vector``, if given, is the question's embedding (saves encoding it again)."""
        from .rerank import rerank

        rows, best_cosine = self.candidates(question, on, query_vector)
        scores = [1.0 / (i + 1) for i in range(len(rows))]  # rank order, when there is no reranker
        if self.reranker is not None and self.rerank_depth:
            head = rows[:self.rerank_depth]
            todo = [r for r in head if (question, r) not in self._rerank_memo]
            self._rerank_memo.update(zip(((question, r) for r in todo), rerank(self.reranker, question, [self.chunks[r]["text"] for r in todo])))
            new = np.array([self._rerank_memo[(question, r)] for r in head])
            order = np.argsort(-new, kind="stable")
            rows = [head[i] for i in order] + rows[len(head):]
            scores = [float(new[i]) for i in order] + scores[len(head):]
        return [{**self.chunks[r], "score": s, "best_cosine": best_cosine} for r, s in zip(rows[:k], scores[:k])]


    def batch(self, questions: list[tuple[str, date | str | None]], k: int = 5) -> list[list[dict]]:
        """:meth:`__call__` for many ``(question, on)`` pairs, embedding all questions in one batch (much faster)."""
        vectors = self.embedder.encode([q for q, _ in questions], batch_size=64)
        return [self(q, on, k, v) for (q, on), v in zip(questions, vectors)]


def build_pipeline(chunking: str | None = None, rerank_depth: int | None = None, date_filter: bool = True,
                   embed_model_id: str = "sentence-transformers/all-MiniLM-L6-v2", reranker=True, docs=None) -> RetrievalPipeline:
    """The best pipeline with the choices notebooks 02 (chunking) and 03 (rerank depth) saved on dev, or the
    given ones. ``reranker=True`` trains (first time) or loads the course-trained reranker; ``None`` skips it."""
    from . import load_embedder, load_knowledge_base
    from .chunking import build_chunks
    from .data import load_finetune_set
    from .lexical import BM25Index
    from .rerank import train_cross_encoder
    from .retrieval import encode_cached

    from .report import saved_figure

    chunking = chunking or saved_figure("02_chunking", "chosen chunking", DEFAULT_CHUNKING)
    rerank_depth = rerank_depth if rerank_depth is not None else int(saved_figure("03_hybrid_search_and_reranking", "rerank depth",
                                                                                  DEFAULT_RERANK_DEPTH))
    docs = docs if docs is not None else load_knowledge_base()
    docs_by_id = {d.id: d for d in docs}
    embedder = load_embedder(embed_model_id)
    chunks = build_chunks(chunking, docs, embedder, embed_model_id)
    vectors = encode_cached(embedder, [c["text"] for c in chunks], embed_model_id)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    bm25 = BM25Index([c["text"] for c in chunks])
    if reranker is True and not rerank_depth:
        reranker = None  # depth 0: nothing is reranked, so nothing to train or load
    if reranker is True:
        examples = ticket_reranker_examples(load_finetune_set("triage_train"), chunks, vectors, bm25, embedder, docs_by_id)
        reranker = train_cross_encoder(examples, name=reranker_name(chunking))
    return RetrievalPipeline(chunks, vectors, bm25, embedder, docs_by_id, reranker, rerank_depth, date_filter)


def reranker_name(chunking: str) -> str:
    """The cache name of the course-trained reranker for a chunking (shared by notebooks 03 and 05)."""
    return "kb-" + chunking.lower().replace(" ", "-").replace("(", "").replace(")", "")


_DEFAULT: RetrievalPipeline | None = None


def retrieve(question: str, on: date | str | None = None, k: int = 5) -> list[dict]:
    """The course's best retrieval: ``question`` asked on ``on`` in, the ``k`` best passages out (dicts with
    ``chunk_id``, ``doc_id``, ``text``, ``score``), best first. Built on first use with the choices saved by
    notebooks 02 and 03 (training the reranker once, cached), then kept for the session."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = build_pipeline()
    return _DEFAULT(question, on, k)
