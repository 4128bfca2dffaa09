"""The course's metrics, one definition each (derived by hand in notebook 01).

Retrieval: :func:`recall_at_k`, :func:`reciprocal_rank`. Answers: :func:`normalize_answer`,
:func:`token_f1`, :func:`contains_answer`, :func:`is_abstention`, and :func:`score_answer`, which
gives each answer one label (correct, stale, wrong, abstained). Replies that state a changing
fact: :func:`stale_facts`. Counts and intervals for any of these rates live in :mod:`ragft.stats`.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from functools import lru_cache

from .paths import DATA_DIR

ABSTENTION_PHRASES = (
    "i dont know", "i do not know", "not in the context", "cannot answer", "cant answer",
    "no information", "not mentioned", "unable to answer", "does not say", "doesnt say",
    "not provided", "does not contain", "doesnt contain", "not enough information",
)

# Number words and unit spellings that mean the same thing, so "two weeks" == "2 weeks" and
# "2-minute" == "2 minutes". Both sides of every comparison go through the same mapping.
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update(thirty="30", forty="40", fifty="50", sixty="60", ninety="90")
_UNITS = {
    "seconds": "second", "secs": "second", "sec": "second", "minutes": "minute", "mins": "minute", "min": "minute",
    "hours": "hour", "hrs": "hour", "hr": "hour", "days": "day", "weeks": "week", "months": "month",
    "years": "year", "yrs": "year", "characters": "character", "chars": "character", "requests": "request",
    "req": "request", "users": "user", "invoices": "invoice", "percent": "%", "per cent": "%",
}
_PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "mo": "month", "yr": "year"}
_TIME_UNIT = r"(?:s|sec|second|min|minute|h|hr|hour|day|week|mo|month|yr|year|user|seat)\b"
_ARTICLES = {"a", "an", "the"}


def normalize_answer(text: str) -> str:
    """Canonical form for comparing answers: lowercase, numbers and units canonical, no punctuation.

    - numbers: thousands separators dropped ("5,000" -> "5000"), a decimal point kept inside a
      number ("1.5" stays "1.5"), trailing zeros after it dropped ("50.00" -> "50");
    - "$" and "%" stay as their own tokens, so "$50" differs from "50" and "1.5%" from "15%";
    - "/" before a time or seat unit reads "per" ("20 requests/second" = "20 requests per second");
      other - _ / : and punctuation become spaces between words ("Idempotency-Key" = "Idempotency Key",
      "6:00" -> "6 00"); apostrophes vanish ("don't" -> "dont");
    - number words up to twenty (and thirty ... ninety) become digits; unit plurals and short forms
      become one spelling ("2 mins" = "2 minute"); articles are dropped.
    """
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 5,000 -> 5000
    text = re.sub(r"(\d+)\.(\d+)", lambda m: m.group(1) + ("." + m.group(2).rstrip("0") if m.group(2).strip("0") else ""), text)
    text = re.sub(r"/\s*(?=" + _TIME_UNIT + ")", " per ", text)
    text = text.replace("'", "")
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # a dot that is not a decimal point
    text = re.sub(r"([$%€£])", r" \1 ", text)
    text = re.sub(r"[^\w$%€£.]+", " ", text).replace("_", " ")
    tokens: list[str] = []
    for token in text.split():
        token = _NUMBER_WORDS.get(token, token)
        token = _UNITS.get(token, token)
        if tokens and tokens[-1] == "per":  # "req/s", "10/h": one-letter units only after "per"
            token = _PER_UNITS.get(token, token)
        if token not in _ARTICLES:
            tokens.append(token)
    return " ".join(tokens)


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


ANSWER_LABELS = ("correct", "stale", "wrong", "abstained")


def score_answer(prediction: str, question: dict) -> str:
    """One label for an answer to an evaluation question: correct, stale, wrong or abstained.

    - stale: it states a value of another version (``question["stale_answers"]``), even if it also
      states the gold one ("it was 30 days, now it is 14" does not answer "what is it today");
    - correct: it contains the gold answer or an alias (unanswerable questions: it abstains);
    - abstained: it declines to answer an answerable question;
    - wrong: anything else.
    """
    if contains_answer(prediction, question.get("stale_answers", [])):
        return "stale"
    if not question["answer"]:
        return "correct" if is_abstention(prediction) else "wrong"
    if contains_answer(prediction, [question["answer"], *question["answer_aliases"]]):
        return "correct"
    return "abstained" if is_abstention(prediction) else "wrong"


@lru_cache(maxsize=1)
def changing_facts() -> tuple[dict, ...]:
    """The facts that change between document versions (``data/changing_facts.json``)."""
    return tuple(json.loads((DATA_DIR / "changing_facts.json").read_text(encoding="utf-8"))["facts"])


def stale_facts(text: str, on: date | str) -> list[str]:
    """Ids of the changing facts (F1-F14) that ``text`` states with a value not in force on ``on``.

    A sentence counts when it names the fact (one of its topic terms) and contains a value of the
    version that is not in force on ``on``. Used for support replies, whose facts have no
    per-question list of stale values.
    """
    on = date.fromisoformat(on) if isinstance(on, str) else on
    sentences = [f" {normalize_answer(s)} " for s in re.split(r"(?<=[.!?])\s+|\n+", text)]
    found = []
    for fact in changing_facts():
        out_of_force = fact["old"] if on >= date.fromisoformat(fact["change_date"]) else fact["new"]
        topics = [f" {normalize_answer(t)} " for t in fact["topic_terms"]]
        values = [f" {normalize_answer(v)} " for v in out_of_force["values"]]
        if any(any(t in s for t in topics) and any(v in s for v in values) for s in sentences):
            found.append(fact["id"])
    return found


FAILURE_MODES = ("correct", "stale version", "copies the date", "loops", "abstains", "fabricates", "wrong")


def repeats_itself(text: str, n: int = 3, times: int = 3) -> bool:
    """True if some run of ``n`` words occurs ``times`` times or more: the answer is looping."""
    tokens = normalize_answer(text).split()
    grams = Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return bool(grams) and max(grams.values()) >= times


def copies_the_date(prediction: str, question: dict) -> bool:
    """True if the answer repeats the question's date (whole, or its year and month) when the gold
    answer holds no such date: the model copied the prompt's date instead of answering."""
    months = {question[d][:7] for d in ("asked_on", "as_of")}
    gold = " ".join([question["answer"], *question["answer_aliases"]])
    return any(m in prediction and m not in gold for m in months)


def failure_mode(prediction: str, question: dict) -> str:
    """What went wrong with an answer, in the words a reader would use (one of :data:`FAILURE_MODES`).

    Built on :func:`score_answer`: a correct or stale answer is that; otherwise, in this order, an
    answer that loops, one that copies the question's date instead of answering, an abstention on
    an answerable question, an answer to an unanswerable question (it fabricates), or plain wrong.
    """
    label = score_answer(prediction, question)
    if label == "correct":
        return "correct"
    if label == "stale":
        return "stale version"
    if repeats_itself(prediction):
        return "loops"
    if copies_the_date(prediction, question):
        return "copies the date"
    if not question["answer"]:
        return "fabricates"
    return "abstains" if label == "abstained" else "wrong"


def stated_version(text: str, fact: dict) -> str:
    """Which version of a changing fact ``text`` states: ``"old"``, ``"new"``, ``"both"`` or ``"neither"``.

    ``fact`` is an entry of ``data/changing_facts.json``. A value counts when it occurs as whole
    words of the normalised text, so "$290" does not state "$29" and "14-day" states "14 days".
    """
    padded = f" {normalize_answer(text)} "
    states = {side: any(f" {normalize_answer(v)} " in padded for v in fact[side]["values"]) for side in ("old", "new")}
    return "both" if all(states.values()) else next((side for side, yes in states.items() if yes), "neither")
