"""The claims ledger: its rules, and the verdicts of the committed default-profile run.

``test_committed_verdicts_keep_their_direction`` reads the ledger notebook 10 printed in its committed outputs.
A change that flips a finding (a claim the course calls supported becoming contradicted, or the reverse, or either
becoming undecided) fails here instead of silently changing the lesson; nbval, which re-executes notebook 10
after 00-09, fails too if the recomputed ledger differs.
"""
import json
import re

import pytest

from notebook_tools import read
from ragft import ledger
from ragft.ledger import Results, build_ledger, higher, positive, rate_difference, rate_in_range
from ragft.workbook import SOLUTIONS_DIR

# The verdicts of the committed default-profile run (solutions/10_decision_framework.ipynb).
EXPECTED = {
    "rag-for-changing-facts": "supported",
    "fine-tuning-for-format": "supported",
    "fine-tuning-does-not-learn-facts": "supported",
    "fine-tuned-facts-go-stale": "supported",
    "retrieval-adds-50-200-ms": "supported",
    "latency-ft-200-500-rag-500-1500": "contradicted",
    "static-accuracy-ft-90-95-rag-85-92": "contradicted",
    "changing-accuracy-ft-60-70-rag-90-95": "contradicted",
    "fixed-size-chunking-is-a-bottleneck": "supported",
    "hybrid-search-raises-quality": "inconclusive",
    "reranking-raises-quality": "not measurable here",
    "metadata-filters-stop-stale-documents": "supported",
    "lost-in-the-middle": "not measurable here",
    "forgetting-grows-with-epochs": "supported",
    "fine-tuning-shortens-prompts": "supported",
    "under-50-use-rag-500-fine-tune": "not measurable here",
    "hybrid-beats-either": "inconclusive",
}

ISSUE_CLAIMS = {  # every claim the course promises to test
    "rag-for-changing-facts", "fine-tuning-for-format", "fine-tuning-does-not-learn-facts", "fine-tuned-facts-go-stale",
    "retrieval-adds-50-200-ms", "latency-ft-200-500-rag-500-1500", "static-accuracy-ft-90-95-rag-85-92",
    "changing-accuracy-ft-60-70-rag-90-95", "fixed-size-chunking-is-a-bottleneck", "hybrid-search-raises-quality",
    "reranking-raises-quality", "metadata-filters-stop-stale-documents", "lost-in-the-middle", "forgetting-grows-with-epochs",
    "fine-tuning-shortens-prompts", "under-50-use-rag-500-fine-tune", "hybrid-beats-either",
}


def committed_verdicts() -> dict:
    """The verdicts notebook 10 printed: one cell for those judged on a measured value, one for those judged on a
    latency."""
    nb = read(SOLUTIONS_DIR / "10_decision_framework.ipynb")
    verdicts = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith('print(json.dumps({row["id"]: row["verdict"] for row in ledger'):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            verdicts.update(json.loads(re.search(r"\{.*?\n\}", text, re.S).group(0)))
    assert verdicts, "notebook 10 has no printed ledger"
    return verdicts


def test_every_promised_claim_is_in_the_ledger():
    assert {c.id for c in ledger.CLAIMS} == ISSUE_CLAIMS


def test_committed_verdicts_keep_their_direction():
    verdicts = committed_verdicts()
    assert set(verdicts) == ISSUE_CLAIMS
    decided = {k: v for k, v in verdicts.items() if v in ("supported", "contradicted")}
    assert decided == {k: v for k, v in EXPECTED.items() if v in ("supported", "contradicted")}
    assert all(verdicts[k] == v for k, v in EXPECTED.items())


def test_rate_difference_matches_newcombe():
    # Newcombe (1998), table II, example: 56/70 vs 48/80 -> 0.2000 [0.0524, 0.3339]
    d, lo, hi = rate_difference((56, 70), (48, 80))
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)


def test_verdict_rules():
    assert higher((9, 10), (1, 10)) == "supported" and higher((1, 10), (9, 10)) == "contradicted"
    assert higher((3, 10), (2, 10)) == "inconclusive" and higher((1, 0), (1, 2)) == "inconclusive"
    assert positive([0.05, 0.01, 0.09]) == "supported" and positive([-0.05, -0.09, -0.01]) == "contradicted"
    assert positive([0.01, -0.02, 0.04]) == "inconclusive"
    assert rate_in_range((0, 14), 0.9, 0.95) == "contradicted"
    assert rate_in_range((930, 1000), 0.9, 0.95) == "supported" and rate_in_range((9, 10), 0.85, 0.95) == "inconclusive"


def figures(stale_ft=0.43, stale_rag=0.0, lora_valid=0.5, retrieval_ms=35.0):
    return Results({
        "07_lora_finetuning": {"test tickets": 16, "training tickets": 64, "LoRA: schema-valid": lora_valid,
                               "base, zero-shot: schema-valid": 0.0, "base, constrained: schema-valid": 0.125,
                               "LoRA, short prompt: schema-valid": 0.5, "base, few-shot: schema-valid": 0.0,
                               "LoRA, short prompt: prompt tokens": 99.5, "base, few-shot: prompt tokens": 451.5},
        "08_when_finetuning_fails": {"held-out questions": 14, "epochs": 5,
                                     "fine-tuned (old facts), asked after the change: stale": stale_ft,
                                     "RAG (base model), asked after the change: stale": stale_rag},
        "09_hybrid_rag_plus_finetuning": {"retrieval median ms": retrieval_ms},
    })


def by_id(rows):
    return {r["id"]: r for r in rows}


def test_a_flipped_measurement_flips_the_verdict():
    assert by_id(build_ledger(figures()))["rag-for-changing-facts"]["verdict"] == "supported"
    assert by_id(build_ledger(figures(stale_ft=0.0, stale_rag=0.43)))["rag-for-changing-facts"]["verdict"] == "contradicted"
    assert by_id(build_ledger(figures(lora_valid=0.0)))["fine-tuning-for-format"]["verdict"] == "inconclusive"
    assert by_id(build_ledger(figures(retrieval_ms=120)))["retrieval-adds-50-200-ms"]["verdict"] == "supported"
    assert by_id(build_ledger(figures(retrieval_ms=35)))["retrieval-adds-50-200-ms"]["verdict"] == "contradicted"


def test_missing_results_are_named_not_guessed():
    rows = by_id(build_ledger(Results({})))
    assert all(r["verdict"] == "not measurable here" for r in rows.values())
    assert "notebook 09 has not run" in rows["hybrid-beats-either"]["why"]
    partial = by_id(build_ledger(figures()))
    assert "lack" in partial["fine-tuning-for-format"]["why"] or partial["fine-tuning-for-format"]["verdict"] != "not measurable here"


def test_ledger_files_are_written(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "07_lora_finetuning.json").write_text(json.dumps(figures().metrics["07_lora_finetuning"]))
    rows = ledger.write_ledger(tmp_path)
    assert json.loads((tmp_path / "claims_ledger.json").read_text()) == rows
    assert (tmp_path / "claims_ledger.md").read_text().count("\n") == len(rows) + 2
