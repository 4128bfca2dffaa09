"""Validate every data file: ``python -m ragft.check_data``. Prints problems; exit 1 if any."""
from __future__ import annotations

import json
import sys
from datetime import date

from .data import EVAL_PATH, check_eval_row, check_messages_row, load_jsonl, version_in_force_problem
from .kb import DataError, load_knowledge_base
from .metrics import stale_facts
from .paths import DATA_DIR, FINETUNE_DIR
from .triage import schema_errors


def triage_problems(row: dict, docs_by_id: dict) -> list[str]:
    """Schema errors, unknown documents and out-of-date versions in one triage row's answer."""
    rid = row.get("id", "?")
    try:
        answer = json.loads(row["messages"][-1]["content"])
    except (json.JSONDecodeError, KeyError, IndexError, TypeError):
        return [f"{rid}: the assistant answer is not JSON"]
    problems = [f"{rid}: {e}" for e in schema_errors(answer)]
    for fact in stale_facts(str(answer.get("reply", "")), row["received_on"]):
        problems.append(f"{rid}: the reply states {fact} with a value not in force on {row['received_on']} (see data/changing_facts.json)")
    for doc_id in answer.get("kb_ids", []):
        if doc_id not in docs_by_id:
            problems.append(f"{rid}: unknown kb id {doc_id!r}")
        elif problem := version_in_force_problem(doc_id, date.fromisoformat(row["received_on"]), docs_by_id):
            problems.append(f"{rid}: {problem}")
    return problems


def unsupported_reply_problems(triage_rows: list[dict], questions: list[dict]) -> list[str]:
    """Replies that name what an unanswerable evaluation question asks about.

    The knowledge base is the single source of truth: a support reply that asserts a fact it does
    not hold (say, a WhatsApp channel) would answer a question the course scores as unanswerable.
    """
    terms = {t.lower(): q["id"] for q in questions for t in q["unsupported_terms"]}
    problems = []
    for row in triage_rows:
        reply = json.loads(row["messages"][-1]["content"]).get("reply", "").lower()
        problems += [f"{row['id']}: the reply names {term!r}, which {qid} (unanswerable) asks about" for term, qid in terms.items() if term in reply]
    return problems


def main() -> int:
    docs = load_knowledge_base()
    by_id = {d.id: d for d in docs}
    print(f"knowledge base: {len(docs)} documents, {sum(d.word_count for d in docs):,} words")
    questions = load_jsonl(EVAL_PATH)
    print(f"{EVAL_PATH.relative_to(DATA_DIR)}: {len(questions)} questions")
    problems = [p for row in questions for p in check_eval_row(row, by_id)]
    for path in sorted(FINETUNE_DIR.glob("*.jsonl")):
        rows = load_jsonl(path)
        print(f"{path.relative_to(DATA_DIR)}: {len(rows)} rows")
        for row in rows:
            problems += [f"{path.name}: {p}" for p in check_messages_row(row)]
            if path.name.startswith("triage_"):
                problems += [f"{path.name}: {p}" for p in triage_problems(row, by_id)]
        if path.name.startswith("triage_"):
            problems += [f"{path.name}: {p}" for p in unsupported_reply_problems(rows, questions)]
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DataError as exc:
        print("PROBLEM:", exc)
        sys.exit(1)
