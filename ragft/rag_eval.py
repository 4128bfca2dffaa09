"""Retrieval scores for any chunking and any retriever, at document and passage level (notebooks 02-05).

Document level uses ranx (checked against notebook 01's hand-written recall and MRR in notebook 05);
passage level asks whether a retrieved chunk holds a gold passage, which ranx cannot know.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .data import normalize_space
from .stats import bootstrap_interval

DOC_METRICS = {"recall@5": "recall@5", "nDCG@10": "ndcg@10", "MRR": "mrr"}


def ranked_documents(chunk_ids: list[str], doc_of: dict[str, str]) -> list[str]:
    """Distinct document ids in the order their chunks were retrieved (first occurrence wins)."""
    return list(dict.fromkeys(doc_of[c] for c in chunk_ids))


def _flat(text: str) -> str:
    return normalize_space(text.replace("**", "")).lower()


def passage_ranks(chunk_texts: list[str], passages: list[str]) -> list[int | None]:
    """For each gold passage, the rank (from 1) of the first retrieved chunk that holds it whole, or None."""
    flat_chunks = [_flat(t) for t in chunk_texts]
    return [next((rank for rank, t in enumerate(flat_chunks, 1) if _flat(p) in t), None) for p in passages]


def passage_scores(ranks: list[int | None], k: int = 5, depth: int = 10) -> dict[str, float]:
    """Passage recall@k (share of gold passages held by a top-k chunk) and passage nDCG@depth (each gold
    passage gains 1 at the rank of its first holding chunk)."""
    recall = sum(r is not None and r <= k for r in ranks) / len(ranks)
    dcg = sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= depth)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(ranks), depth) + 1))
    return {f"passage recall@{k}": recall, f"passage nDCG@{depth}": dcg / ideal}


def score_rankings(questions: list[dict], rankings: dict[str, list[str]], chunks_by_id: dict[str, dict]) -> pd.DataFrame:
    """One row per answerable question: document recall@5, nDCG@10 and MRR (ranx) and passage recall@5 and
    nDCG@10, for ``rankings`` = ``{question id: [chunk ids, best first]}``."""
    from ranx import Qrels, Run, evaluate

    answerable = [q for q in questions if q["gold_doc_ids"] and q["id"] in rankings]
    doc_of = {cid: c["doc_id"] for cid, c in chunks_by_id.items()}
    run, qrels = {}, {}
    for q in answerable:
        docs = ranked_documents(rankings[q["id"]], doc_of)
        run[q["id"]] = {d: float(len(docs) - i) for i, d in enumerate(docs)}  # scores that keep the order
        qrels[q["id"]] = {d: 1 for d in q["gold_doc_ids"]}
    per_query = evaluate(Qrels(qrels), Run(run), list(DOC_METRICS.values()), return_mean=False, make_comparable=True)
    rows = []
    for i, q in enumerate(answerable):
        texts = [chunks_by_id[c]["text"] for c in rankings[q["id"]]]
        rows.append({"id": q["id"], "type": q["type"], **{name: float(per_query[m][i]) for name, m in DOC_METRICS.items()},
                     **passage_scores(passage_ranks(texts, [p["text"] for p in q["gold_passages"]]))})
    return pd.DataFrame(rows)


def mean_with_interval(values) -> str:
    """``"0.72 [0.65, 0.78]"``: the mean and its 95% bootstrap interval."""
    values = np.asarray(values, dtype=float)
    lo, hi = bootstrap_interval(values)
    return f"{values.mean():.2f} [{lo:.2f}, {hi:.2f}]"


# ---- Notebook 05: answers judged against what was retrieved ----

#: Words that carry no claim of their own; left out when checking an answer against its context.
STOPWORDS = frozenset("""a an the and or but if of to in on at by for with from as is are was were be been being it its this that
these those there here what which who whom whose when where why how i you he she we they me him her us them my your our their
do does did done can could will would shall should may might must not no yes so than then too very just only also about into
over under per each any all some more most such one""".split())
CITED = r"\[([A-Za-z0-9#_.-]+)\]"


def cited_ids(answer: str) -> list[str]:
    """The source ids an answer cites in square brackets, in order, without duplicates."""
    import re

    return list(dict.fromkeys(re.findall(CITED, answer)))


def support_ratio(answer: str, context: str) -> float:
    """Groundedness by word overlap: the share of the answer's content words (normalised, stop words and cited
    ids removed, each distinct word once) that occur in the context. 1.0 when the answer has no content words.

    A readable proxy, not a judge of truth: copying an irrelevant sentence from the context scores 1.0, and a
    correct paraphrase in other words scores low.
    """
    import re

    from .metrics import normalize_answer

    words = set(normalize_answer(re.sub(CITED, " ", answer)).split()) - STOPWORDS
    if not words:
        return 1.0
    return len(words & set(normalize_answer(context).split())) / len(words)


def citation_scores(answer: str, given_ids: list[str], gold_ids: list[str]) -> dict[str, bool]:
    """Whether the answer cites any source, whether every cited id was among the given sources (no invented
    ids), and whether it cites a gold document (False for unanswerable questions, which have none)."""
    cited = set(cited_ids(answer))
    return {"cites a source": bool(cited), "cites only given sources": bool(cited) and cited <= set(given_ids),
            "cites a gold source": bool(cited & set(gold_ids))}
