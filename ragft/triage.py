"""The support-ticket triage task: its schema, its prompt and its chat-format rows."""
from __future__ import annotations

import json
from functools import lru_cache

import jsonschema

from .paths import FINETUNE_DIR

SCHEMA_PATH = FINETUNE_DIR / "triage_schema.json"

SYSTEM_PROMPT = (
    "You triage support tickets for Halden Systems (products: Relay, Ledger, Beacon). "
    "Answer with one JSON object and nothing else, with the keys category, priority, product, "
    "sentiment, needs_human, reply and kb_ids, following the triage schema. The reply is one to "
    "three sentences to the customer; kb_ids lists the knowledge-base documents it relies on."
)


@lru_cache(maxsize=1)
def triage_schema() -> dict:
    """The JSON schema a triage answer must follow (``data/finetune/triage_schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_errors(answer: dict) -> list[str]:
    """Every way ``answer`` breaks the triage schema, as readable strings (empty when valid)."""
    validator = jsonschema.Draft202012Validator(triage_schema())
    return [f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in validator.iter_errors(answer)]


def ticket_text(received_on: str, plan: str, subject: str, body: str) -> str:
    """The user turn of a triage example: a ticket as the help desk shows it."""
    return f"Received: {received_on}\nPlan: {plan}\nSubject: {subject}\n\n{body.strip()}"


def make_example(example_id: str, received_on: str, plan: str, subject: str, body: str, triage: dict) -> dict:
    """One chat-format training row: system prompt, ticket, and the triage JSON as the answer.

    Raises ``ValueError`` if ``triage`` breaks the schema, so a bad row is never written.
    """
    errors = schema_errors(triage)
    if errors:
        raise ValueError(f"ticket {example_id}: triage breaks the schema: {errors}")
    return {
        "id": example_id,
        "received_on": received_on,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": ticket_text(received_on, plan, subject, body)},
            {"role": "assistant", "content": json.dumps(triage, ensure_ascii=False)},
        ],
    }


TRIAGE_FIELDS = ("category", "priority", "product", "sentiment", "needs_human")


def field_scores(gold: list[dict], predicted: list[dict | None], field: str) -> dict:
    """Accuracy, macro-F1 and per-class F1 of one triage field, next to the majority-class baseline.

    ``predicted`` holds parsed answers (``None`` where the output was not valid JSON: it counts as
    wrong). The baseline always predicts the most common value of ``gold``: a constant predictor
    can score a high accuracy on an imbalanced field, which is why macro-F1 is reported too.
    """
    from collections import Counter

    from sklearn.metrics import f1_score

    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold answers but {len(predicted)} predictions")
    truth = [str(g[field]) for g in gold]
    guess = [str(p.get(field)) if isinstance(p, dict) else "<invalid>" for p in predicted]
    classes = sorted(set(truth))
    majority = Counter(truth).most_common(1)[0][0]
    per_class = f1_score(truth, guess, labels=classes, average=None, zero_division=0)
    return {
        "field": field,
        "n": len(truth),
        "accuracy": sum(t == g for t, g in zip(truth, guess)) / len(truth),
        "macro_f1": float(f1_score(truth, guess, labels=classes, average="macro", zero_division=0)),
        "per_class_f1": dict(zip(classes, map(float, per_class))),
        "majority_class": majority,
        "majority_accuracy": truth.count(majority) / len(truth),
        "majority_macro_f1": float(f1_score(truth, [majority] * len(truth), labels=classes, average="macro", zero_division=0)),
    }


#: The one-line system prompt of the "short prompt" systems: a fine-tuned model has the task in
#: its weights, so it may not need the long instructions (one of fine-tuning's claimed gains).
SHORT_SYSTEM_PROMPT = "Triage this support ticket."


def parse_triage(text: str) -> dict | None:
    """The JSON object in a model's answer, or ``None`` when the whole answer is not one JSON object."""
    try:
        answer = json.loads(text.strip())
    except json.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None


def kb_ids_precision_recall(gold: list[list[str]], predicted: list[list[str] | None]) -> tuple[float, float]:
    """Micro-averaged precision and recall of cited knowledge-base ids over all tickets.

    ``None`` (an unparseable answer) cites nothing. Precision is undefined (NaN) when nothing is
    cited at all, recall when there is nothing to cite: a system that cites nothing has no precision
    to boast of.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold lists but {len(predicted)} predicted lists")
    hits = cited = wanted = 0
    for g, p in zip(gold, predicted):
        g, p = set(g), set(p or [])
        hits += len(g & p)
        cited += len(p)
        wanted += len(g)
    return (hits / cited if cited else float("nan")), (hits / wanted if wanted else float("nan"))


def with_system_prompt(row: dict, system_prompt: str) -> list[dict]:
    """The conversation of a triage row up to the ticket, with ``system_prompt`` in place of its own."""
    return [{"role": "system", "content": system_prompt}] + [m for m in row["messages"][1:-1]]


def few_shot_conversation(row: dict, examples: list[dict]) -> list[dict]:
    """A triage row's conversation with ``examples`` (training rows) shown first as earlier turns."""
    shots = [m for ex in examples for m in ex["messages"][1:]]
    return [row["messages"][0]] + shots + row["messages"][1:-1]


def triage_report(rows: list[dict], outputs: list[str]) -> dict:
    """Every format and quality figure of one system's triage answers, as counts and scores.

    ``rows`` are test rows (their last message is the gold answer); ``outputs`` the model's texts.
    """
    from .metrics import stale_facts

    gold = [json.loads(r["messages"][-1]["content"]) for r in rows]
    parsed = [parse_triage(o) for o in outputs]
    valid = [p if p is not None and not schema_errors(p) else None for p in parsed]
    kb_predicted = [p.get("kb_ids") if p and isinstance(p.get("kb_ids"), list) else None for p in parsed]
    precision, recall = kb_ids_precision_recall([g["kb_ids"] for g in gold], kb_predicted)
    replies = [(p["reply"], r["received_on"]) for p, r in zip(parsed, rows) if p and isinstance(p.get("reply"), str)]
    report = {
        "n": len(rows),
        "parsed": sum(p is not None for p in parsed),
        "schema_valid": sum(v is not None for v in valid),
        "kb_precision": precision,
        "kb_recall": recall,
        "replies": len(replies),
        "stale_replies": sum(bool(stale_facts(text, on)) for text, on in replies),
    }
    for field in TRIAGE_FIELDS:
        scores = field_scores(gold, parsed, field)
        report[f"{field}_macro_f1"] = scores["macro_f1"]
        report[f"{field}_majority_macro_f1"] = scores["majority_macro_f1"]
    return report
