"""The course's metrics, one definition each (derived by hand in notebook 01).

Retrieval: :func:`recall_at_k`, :func:`reciprocal_rank`. Answers: :func:`token_f1`,
:func:`contains_answer`, :func:`is_abstention`.
"""
from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
ABSTENTION_PHRASES = (
    "i dont know", "i do not know", "not in the context", "cannot answer", "cant answer",
    "no information", "not mentioned", "unable to answer", "does not say", "doesnt say",
    "not provided", "does not contain", "doesnt contain", "not enough information",
)


def recall_at_k(retrieved_ids: list[str], gold_ids: list[str], k: int) -> float:
    """Share of the gold ids found among the first ``k`` retrieved ids (repeats count once)."""
    gold = set(gold_ids)
    if not gold:
        raise ValueError("recall is undefined without gold ids (skip unanswerable questions)")
    return len(gold & set(retrieved_ids[:k])) / len(gold)


def reciprocal_rank(retrieved_ids: list[str], gold_ids: list[str]) -> float:
    """1 / rank of the first retrieved id that is gold (ranks start at 1); 0 if none is."""
    gold = set(gold_ids)
    for rank, doc_id in enumerate(retrieved_ids, start=1):
        if doc_id in gold:
            return 1.0 / rank
    return 0.0


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces (the SQuAD normalisation)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """Harmonic mean of token precision and recall between normalised answers (SQuAD F1)."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains_answer(prediction: str, answers: list[str]) -> bool:
    """True if any gold answer appears, as whole words, in the normalised prediction."""
    pred = f" {normalize_answer(prediction)} "
    return any(f" {normalize_answer(a)} " in pred for a in answers if normalize_answer(a))


def is_abstention(prediction: str) -> bool:
    """True if the answer declines ("I don't know", "not in the context", ...)."""
    text = normalize_answer(prediction)
    return any(phrase in text for phrase in ABSTENTION_PHRASES)
