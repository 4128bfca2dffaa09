"""Validate every data file: ``python -m ragft.check_data``. Prints problems; exit 1 if any."""
from __future__ import annotations

import json
import sys
from datetime import date

from .data import EVAL_PATH, check_eval_row, check_messages_row, load_jsonl, version_in_force_problem
from .kb import DataError, load_knowledge_base
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
    for doc_id in answer.get("kb_ids", []):
        if doc_id not in docs_by_id:
            problems.append(f"{rid}: unknown kb id {doc_id!r}")
        elif problem := version_in_force_problem(doc_id, date.fromisoformat(row["received_on"]), docs_by_id):
            problems.append(f"{rid}: {problem}")
    return problems


def main() -> int:
    docs = load_knowledge_base()
    by_id = {d.id: d for d in docs}
    print(f"knowledge base: {len(docs)} documents, {sum(d.word_count for d in docs):,} words")
    rows = load_jsonl(EVAL_PATH)
    print(f"{EVAL_PATH.relative_to(DATA_DIR)}: {len(rows)} questions")
    problems = [p for row in rows for p in check_eval_row(row, by_id)]
    for path in sorted(FINETUNE_DIR.glob("*.jsonl")):
        rows = load_jsonl(path)
        print(f"{path.relative_to(DATA_DIR)}: {len(rows)} rows")
        for row in rows:
            problems += [f"{path.name}: {p}" for p in check_messages_row(row)]
            if path.name.startswith("triage_"):
                problems += [f"{path.name}: {p}" for p in triage_problems(row, by_id)]
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
