"""Load and validate the course's evaluation set and fine-tuning sets (JSONL files)."""
from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

from .kb import DataError, Document
from .metrics import contains_answer, normalize_answer
from .paths import EVAL_DIR, FINETUNE_DIR

EVAL_PATH = EVAL_DIR / "eval_set.jsonl"
QUESTION_TYPES = ("lookup", "number", "as_of_date", "multi_doc", "keyword", "paraphrase", "unanswerable")
SPLITS = ("dev", "test")
EVAL_FIELDS = ("id", "question", "answer", "answer_aliases", "gold_doc_ids", "gold_passages", "stale_answers",
               "unsupported_terms", "type", "asked_on", "as_of")


def load_jsonl(path: Path | str) -> list[dict]:
    """Read a JSONL file into a list of dicts; a bad line raises :class:`DataError` naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist. Run from the course folder, or check the path.")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}, line {lineno}: not valid JSON ({exc.msg}).") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}, line {lineno}: each line must be a JSON object.")
        rows.append(row)
    return rows


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace so passages match across line wraps."""
    return re.sub(r"\s+", " ", text).strip()


def check_eval_row(row: dict, docs_by_id: dict[str, Document] | None = None) -> list[str]:
    """Problems with one evaluation question (empty list when it is valid).

    With ``docs_by_id``, also checks that gold documents exist, gold passages occur in them, and
    each gold document is the version in force on the question's ``as_of`` date.
    """
    rid = row.get("id", "?")
    problems = [f"{rid}: missing field {f!r}" for f in EVAL_FIELDS if f not in row]
    if problems:
        return problems
    if row["type"] not in QUESTION_TYPES:
        problems.append(f"{rid}: type {row['type']!r} is not one of {QUESTION_TYPES}")
    if "split" in row and row["split"] not in SPLITS:
        problems.append(f"{rid}: split {row['split']!r} is not one of {SPLITS}")
    try:
        if date.fromisoformat(row["as_of"]) > date.fromisoformat(row["asked_on"]):
            problems.append(f"{rid}: as_of {row['as_of']} is after asked_on {row['asked_on']}")
    except (TypeError, ValueError):
        problems.append(f"{rid}: asked_on {row['asked_on']!r} and as_of {row['as_of']!r} must be YYYY-MM-DD dates")
    unanswerable = row["type"] == "unanswerable"
    if unanswerable and (row["gold_doc_ids"] or row["gold_passages"] or row["answer"]):
        problems.append(f"{rid}: an unanswerable question has empty answer, gold_doc_ids and gold_passages")
    if not unanswerable:
        if not row["answer"] or not row["gold_doc_ids"] or not row["gold_passages"]:
            problems.append(f"{rid}: needs an answer, gold_doc_ids and gold_passages")
        if row["type"] == "multi_doc" and len(set(row["gold_doc_ids"])) < 2:
            problems.append(f"{rid}: a multi_doc question needs at least two gold documents")
    for passage in row["gold_passages"]:
        if passage.get("doc_id") not in row["gold_doc_ids"]:
            problems.append(f"{rid}: passage doc_id {passage.get('doc_id')!r} is not among gold_doc_ids")
    problems += answer_key_problems(row)
    if docs_by_id is not None:
        for doc_id in row["gold_doc_ids"]:
            if doc_id not in docs_by_id:
                problems.append(f"{rid}: gold document {doc_id!r} does not exist")
        for passage in row["gold_passages"]:
            doc = docs_by_id.get(passage.get("doc_id"))
            if doc and normalize_space(passage["text"]) not in normalize_space(doc.text):
                problems.append(f"{rid}: gold passage not found verbatim in {doc.id}: {passage['text'][:80]!r}")
        for term in row["unsupported_terms"]:
            if f" {normalize_answer(term)} " in _normalized_kb(docs_by_id):
                problems.append(f"{rid}: unsupported term {term!r} occurs in the knowledge base, so the question may be answerable")
        if not problems:
            as_of = date.fromisoformat(row["as_of"])
            problems += [f"{rid}: {p}" for d in row["gold_doc_ids"] if (p := version_in_force_problem(d, as_of, docs_by_id))]
    return problems


_KB_TEXT: dict[int, str] = {}


def _normalized_kb(docs_by_id: dict[str, Document]) -> str:
    """The whole knowledge base as one normalised string (computed once per knowledge base)."""
    key = hash(tuple((d.id, d.text) for d in docs_by_id.values()))
    if key not in _KB_TEXT:
        _KB_TEXT.clear()
        _KB_TEXT[key] = f" {normalize_answer(' '.join(d.text for d in docs_by_id.values()))} "
    return _KB_TEXT[key]


def answer_key_problems(row: dict) -> list[str]:
    """Problems with a question's answer key that would make the contains-check unfair.

    Aliases must not be bare one- or two-digit numbers (a wrong answer contains them easily), the
    question must not contain its own answer, stale values must not overlap the gold ones, every
    as_of_date question lists its stale values, and every unanswerable question lists the terms
    an answer would need (checked against the knowledge base and the support replies).
    """
    rid = row["id"]
    problems = []
    for field in ("answer_aliases", "stale_answers", "unsupported_terms"):
        if not isinstance(row[field], list) or not all(isinstance(x, str) and x.strip() for x in row[field]):
            problems.append(f"{rid}: {field} must be a list of non-empty strings")
    if problems:
        return problems
    golds = [a for a in [row["answer"], *row["answer_aliases"]] if a]
    question = f" {normalize_answer(row['question'])} "
    for alias in golds:
        norm = normalize_answer(alias)
        if re.fullmatch(r"\d{1,2}", norm):
            problems.append(f"{rid}: answer or alias {alias!r} is a bare short number; give it its unit")
        if f" {norm} " in question:
            problems.append(f"{rid}: the question contains its own answer {alias!r}")
    for stale in row["stale_answers"]:
        if contains_answer(stale, golds) or any(contains_answer(g, [stale]) for g in golds):
            problems.append(f"{rid}: stale value {stale!r} overlaps the gold answer")
    if row["type"] == "as_of_date" and not row["stale_answers"]:
        problems.append(f"{rid}: an as_of_date question lists the other version's value(s) in stale_answers")
    if (row["type"] == "unanswerable") != bool(row["unsupported_terms"]):
        problems.append(f"{rid}: unsupported_terms are listed for unanswerable questions, and only for them")
    return problems


def version_in_force_problem(doc_id: str, on: date, docs_by_id: dict[str, Document]) -> str | None:
    """Why ``doc_id`` is not the version in force on ``on``; None when it is.

    Every document declares the interval it is in force (``valid_from <= day < valid_until``);
    a document without versions holds throughout.
    """
    doc = docs_by_id[doc_id]
    if doc.valid_on(on):
        return None
    if doc.valid_from > on:
        return f"{doc_id} takes effect {doc.valid_from}, after {on}"
    return f"{doc_id} was replaced on {doc.valid_until}, before {on}"


def load_eval_set(split: str | None = None, path: Path | str = EVAL_PATH) -> list[dict]:
    """The course evaluation set, optionally one split (``"dev"`` or ``"test"``).

    Each question has: id, question, answer, answer_aliases, gold_doc_ids, gold_passages,
    type (one of ``QUESTION_TYPES``), asked_on (the date the user asks), as_of (the date the
    answer must hold for: asked_on, or an earlier date the question names, as in "back in
    March 2025") and split.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split={split!r}: use one of {SPLITS} or None for all.")
    rows = load_jsonl(path)
    for row in rows:
        problems = check_eval_row(row)
        if problems:
            raise DataError(f"{path}: {problems[0]}")
    return [r for r in rows if split is None or r["split"] == split]


def load_finetune_set(name: str) -> list[dict]:
    """A fine-tuning set in chat ``messages`` format, by file stem (e.g. ``"triage_train"``)."""
    path = FINETUNE_DIR / f"{name}.jsonl"
    if not path.is_file():
        known = sorted(p.stem for p in FINETUNE_DIR.glob("*.jsonl"))
        raise DataError(f"No fine-tuning set named {name!r}; the sets are {known}.")
    rows = load_jsonl(path)
    for i, row in enumerate(rows, start=1):
        problems = check_messages_row(row)
        if problems:
            raise DataError(f"{path}, row {i}: {problems[0]}")
    return rows


def check_messages_row(row: dict) -> list[str]:
    """Problems with one chat-format row: a ``messages`` list of role/content turns ending with the assistant."""
    rid = row.get("id", "?")
    msgs = row.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return [f"{rid}: needs a non-empty 'messages' list"]
    problems = []
    for m in msgs:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") or not isinstance(m.get("content"), str) or not m["content"].strip():
            problems.append(f"{rid}: each message needs a role (system/user/assistant) and non-empty content: {m!r:.80}")
    if msgs[-1].get("role") != "assistant":
        problems.append(f"{rid}: the last message must be the assistant's answer")
    return problems


def sample_per_type(questions: list[dict], n_per_type: int, seed: int = 0) -> list[dict]:
    """A fixed sample of ``n_per_type`` questions of each type (all of them when ``n_per_type`` is 0).

    The same seed gives the same sample on every machine, so notebooks compare systems on the
    same questions. The result keeps the input order.
    """
    if n_per_type == 0:
        return list(questions)
    rng = random.Random(seed)
    chosen = set()
    for qtype in QUESTION_TYPES:
        ids = sorted(q["id"] for q in questions if q["type"] == qtype)
        chosen.update(rng.sample(ids, min(n_per_type, len(ids))))
    return [q for q in questions if q["id"] in chosen]
