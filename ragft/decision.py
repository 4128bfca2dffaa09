"""Notebook 10: the scorecard of one run (from its results files), costs under stated assumptions, and a decision
helper that answers "RAG, fine-tune or both" for a described use case with the measured evidence behind it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .ledger import MissingFigure, Results, higher
from .stats import format_rate

RUNGS = ("1 base alone", "2 base + RAG", "3 triage LoRA alone", "4 triage LoRA + RAG", "5 RAFT + RAG")
ANSWERS = ("RAG", "fine-tune", "both", "prompt the base model")


def cost_per_1000_queries(seconds_per_query: float, price_per_hour: float) -> float:
    """Hardware cost of 1,000 queries when each keeps the machine busy ``seconds_per_query``."""
    return 1000 * seconds_per_query / 3600 * price_per_hour


def break_even_queries(training_cost: float, cost_per_query_without: float, cost_per_query_with: float) -> float:
    """Queries after which a system that cost ``training_cost`` to train, and is cheaper per query, has paid for its
    training (rounded up); ``math.inf`` when it is not cheaper per query."""
    saving = cost_per_query_without - cost_per_query_with
    if saving <= 0:
        return math.inf
    return math.ceil(training_cost / saving)


def scorecard(results: Results, price_per_hour: float, training_price_per_hour: float):
    """One row per system of notebook 09's ladder: accuracy on unchanged and changed facts, stale answers, abstention,
    format compliance on tickets, latency, prompt tokens, training time and cost, cost per 1,000 queries."""
    import pandas as pd

    training = {"1 base alone": 0.0, "2 base + RAG": 0.0,
                "3 triage LoRA alone": float(results.value("07", "training minutes")),
                "4 triage LoRA + RAG": float(results.value("07", "training minutes")),
                "5 RAFT + RAG": float(results.value("09", "raft training minutes"))}
    rows = {}
    for rung in RUNGS:
        seconds = float(results.value("09", f"{rung}: median seconds"))
        rows[rung] = {
            "unchanged facts: contains": format_rate(*results.count("09", f"{rung}: contains, unchanged facts")),
            "changed facts: contains": format_rate(*results.count("09", f"{rung}: contains, changed facts")),
            "changed facts: stale": format_rate(*results.count("09", f"{rung}: stale")),
            "unanswerable: abstains": format_rate(*results.count("09", f"{rung}: abstains")),
            "tickets: schema-valid": format_rate(*results.count("09", f"{rung}: schema-valid")),
            "median s": round(seconds, 2), "p95 s": round(float(results.value("09", f"{rung}: p95 seconds")), 2),
            "prompt tokens": int(results.value("09", f"{rung}: prompt tokens")),
            "training min": round(training[rung], 1),
            "training $": round(training[rung] / 60 * training_price_per_hour, 3),
            "$ per 1000 queries": round(cost_per_1000_queries(seconds, price_per_hour), 3),
        }
    return pd.DataFrame(rows).T


@dataclass
class UseCase:
    """What a project needs. ``knowledge``: answers depend on your own documents; ``facts_change``: those change
    while the system is in use; ``strict_format``: output must follow a schema; ``must_cite``: answers must name
    their source; ``must_abstain``: the system must say "I don't know" rather than guess; ``examples``: labelled
    input/output pairs you have for training; ``latency_budget_s``: the most seconds an answer may take (None: any)."""
    knowledge: bool = True
    facts_change: bool = False
    strict_format: bool = False
    must_cite: bool = False
    must_abstain: bool = False
    examples: int = 0
    latency_budget_s: float | None = None


@dataclass
class Recommendation:
    answer: str
    evidence: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join([f"Recommendation: {self.answer}", *[f"  - {e}" for e in self.evidence]])


ENOUGH_EXAMPLES = 50  # below this, a course-sized LoRA run has too little to learn a format from


def recommend(use_case: UseCase, results: Results) -> Recommendation:
    """"RAG", "fine-tune", "both" or "prompt the base model" for ``use_case``, each reason quoting a figure measured in
    this run. Figures a reason needs but the run lacks are named instead of guessed."""
    needs_rag = use_case.knowledge or use_case.facts_change or use_case.must_cite
    needs_tuning = use_case.strict_format and use_case.examples >= ENOUGH_EXAMPLES
    evidence: list[str] = []

    def cite(text_fn):
        try:
            evidence.append(text_fn())
        except MissingFigure as missing:
            evidence.append(f"(not measured in this run: {str(missing)})")

    if use_case.knowledge:
        cite(lambda: "fine-tuning did not reliably teach facts: held-out wordings answered with the trained fact "
             f"{format_rate(*results.rate_count('08', 'held-out old value after 5 epochs, several wordings', int(results.value('08', 'held-out questions'))))} (08)")
    if use_case.facts_change:
        def stale():
            n = int(results.value("08", "held-out questions"))
            ft = results.rate_count("08", "fine-tuned (old facts), asked after the change: stale", n)
            rag = results.rate_count("08", "RAG (base model), asked after the change: stale", n)
            return f"after the facts changed, stale answers: fine-tuned {format_rate(*ft)}, RAG {format_rate(*rag)} (08)"
        cite(stale)
        cite(lambda: "the date filter put the right version first on "
             f"{format_rate(*results.rate_count('05', 'test right version@1, + date filter', int(results.value('05', 'test as_of_date questions'))))}"
             " of changed-fact questions (05)")
    if use_case.strict_format:
        def fmt():
            n = int(results.value("07", "test tickets"))
            return (f"schema-valid JSON: LoRA {format_rate(*results.rate_count('07', 'LoRA: schema-valid', n))}, base model "
                    f"{format_rate(*results.rate_count('07', 'base, zero-shot: schema-valid', n))}, constrained decoding without "
                    f"training {format_rate(*results.rate_count('07', 'base, constrained: schema-valid', n))} (07)")
        cite(fmt)
        if use_case.examples < ENOUGH_EXAMPLES:
            evidence.append(f"only {use_case.examples} examples (< {ENOUGH_EXAMPLES}): start with constrained decoding or "
                            "few-shot prompts, and collect examples before fine-tuning")
    if use_case.must_cite or use_case.must_abstain:
        def raft():
            r2, r5 = results.count("09", "2 base + RAG: abstains"), results.count("09", "5 RAFT + RAG: abstains")
            c2, c5 = results.count("09", "2 base + RAG: contains"), results.count("09", "5 RAFT + RAG: contains")
            verdict = higher(c5, c2)
            return (f"fine-tuning on retrieved context (RAFT): contains {format_rate(*c5)} vs {format_rate(*c2)} for base + RAG "
                    f"({verdict} at this sample size); abstains on unanswerable {format_rate(*r5)} vs {format_rate(*r2)} (09)")
        cite(raft)
    if use_case.latency_budget_s is not None:
        def latency():
            rag = float(results.value("09", "2 base + RAG: median seconds"))
            alone = float(results.value("09", "3 triage LoRA alone: median seconds"))
            within = "within" if rag <= use_case.latency_budget_s else "over"
            return (f"median answer time on this machine: base + RAG {rag:.2f} s ({within} the {use_case.latency_budget_s} s "
                    f"budget), fine-tuned alone {alone:.2f} s; retrieval itself "
                    f"{float(results.value('09', 'retrieval median ms')):.0f} ms (09)")
        cite(latency)

    if needs_rag and needs_tuning:
        answer = "both"
    elif needs_rag:
        answer = "RAG"
    elif needs_tuning:
        answer = "fine-tune"
    else:
        answer = "prompt the base model"
    if (use_case.must_cite or use_case.must_abstain) and use_case.examples >= ENOUGH_EXAMPLES and answer == "RAG":
        answer = "both"  # RAFT-style fine-tuning on retrieved context teaches citing and declining
        evidence.append(f"{use_case.examples} examples are enough to try fine-tuning on retrieved context (09's rung 5)")
    return Recommendation(answer, evidence)
