"""Validate every data file: ``python -m ragft.check_data``. Prints problems; exit 1 if any."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .data import check_eval_row, check_messages_row, load_jsonl
from .kb import DataError, load_knowledge_base
from .paths import DATA_DIR, EVAL_DIR, FINETUNE_DIR
from .triage import schema_errors


def main(argv: list[str]) -> int:
    problems: list[str] = []
    docs = load_knowledge_base()
    by_id = {d.id: d for d in docs}
    words = sum(d.word_count for d in docs)
    print(f"knowledge base: {len(docs)} documents, {words:,} words")
    eval_files = [EVAL_DIR / "eval_set.jsonl", *sorted((EVAL_DIR / "parts").glob("*.jsonl"))]
    for path in [p for p in eval_files if p.is_file()]:
        rows = load_jsonl(path)
        print(f"{path.relative_to(DATA_DIR)}: {len(rows)} questions")
        for row in rows:
            problems += check_eval_row(row, by_id)
    ft_files = sorted(FINETUNE_DIR.glob("*.jsonl")) + sorted((FINETUNE_DIR / "parts").glob("*.jsonl"))
    for path in ft_files:
        rows = load_jsonl(path)
        print(f"{path.relative_to(DATA_DIR)}: {len(rows)} rows")
        for row in rows:
            problems += [f"{path.name}: {p}" for p in check_messages_row(row)]
            if "triage" in path.name or "tickets" in path.name:
                try:
                    answer = json.loads(row["messages"][-1]["content"])
                except (json.JSONDecodeError, KeyError, IndexError):
                    problems.append(f"{path.name}: {row.get('id')}: assistant answer is not JSON")
                    continue
                problems += [f"{path.name}: {row.get('id')}: {e}" for e in schema_errors(answer)]
                problems += [f"{path.name}: {row.get('id')}: unknown kb id {k!r}" for k in answer.get("kb_ids", []) if k not in by_id and "--ignore-missing-kb" not in argv]
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DataError as exc:
        print("PROBLEM:", exc)
        sys.exit(1)
