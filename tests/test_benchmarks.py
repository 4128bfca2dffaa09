"""The benchmark scripts run and write well-formed results. No timing thresholds: a slow or busy machine passes."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_retrieval_latency_quick_run_writes_well_formed_json(tmp_path):
    out = tmp_path / "retrieval_latency.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "retrieval_latency.py"), "--quick", "--output", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert {"benchmark", "machine", "caveat", "settings", "goals", "vector_search", "index_build", "top10_agreement",
            "bm25", "rerank", "notes", "runtime_seconds"} <= set(result)
    assert result["settings"]["quick"] is True
    assert result["machine"]["threads"]["torch"] >= 1

    sizes = result["settings"]["vector_sizes"]
    rows = result["vector_search"]
    assert {(r["index"], r["chunks"], r["mode"]) for r in rows} == {
        (index, n, mode) for index in ("numpy", "faiss", "qdrant") for n in sizes for mode in ("single", "batched")}
    for row in rows + result["bm25"]:
        assert positive(row["p50_ms"]) and positive(row["p95_ms"]), row
        assert row["p95_ms"] >= row["p50_ms"], row
        assert row["calls_timed"] >= 3 and row["queries_per_call"] == (1 if row["mode"] == "single" else result["settings"]["batch"])
    assert {r["chunks"] for r in result["bm25"]} == set(result["settings"]["bm25_sizes"])
    assert all(positive(b["build_seconds"]) for b in result["index_build"] if b["index"] != "numpy")
    # All three vector indexes are exact search: they agree on the top 10 (ties aside).
    assert all(a["same_top10_fraction"] >= 0.9 for a in result["top10_agreement"])

    rerank = result["rerank"]
    assert rerank["pairs_per_call"] == 20 and rerank["calls_timed"] >= 3
    assert positive(rerank["p50_ms"]) and positive(rerank["p95_ms"]) and positive(rerank["tokens_per_pair_mean"])

    search_goal, rerank_goal = result["goals"]
    assert search_goal["threshold_ms"] == 10 and rerank_goal["threshold_ms"] == 100
    assert search_goal["met"] is None  # --quick does not measure 10k chunks
    assert isinstance(rerank_goal["met"], bool) and positive(rerank_goal["measured_p50_ms"])
