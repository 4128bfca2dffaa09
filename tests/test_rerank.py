"""Cross-encoder reranking: hard negatives, reranking a run, the trained-reranker cache, the offline fallback."""
import time

import numpy as np
import pytest

from ragft import rerank as rr
from ragft.rerank import hard_negatives, pretrained_cross_encoder, rerank_order, rerank_run, reranker_key, train_cross_encoder

EXAMPLES = [
    ("how long is the refund window", "Refunds are accepted within 14 days of purchase.", 1.0),
    ("how long is the refund window", "Invoices are sent on the first day of each month.", 0.0),
    ("how do I reset my password", "Use the 'Forgot password' link to get a reset email.", 1.0),
    ("how do I reset my password", "Our offices are closed on public holidays.", 0.0),
] * 4


class WordOverlap:
    """A stand-in cross-encoder: scores a pair by the number of shared words."""

    def __init__(self):
        self.calls = 0

    def predict(self, pairs, batch_size=32, show_progress_bar=None, activation_fn=None):
        self.calls += 1
        return np.array([len(set(q.lower().split()) & set(p.lower().split())) for q, p in pairs], dtype=np.float32)


def test_hard_negatives_skip_positives_and_the_very_top():
    ranked = ["p1", "a", "b", "p2", "c", "d"]
    assert hard_negatives(ranked, {"p1", "p2"}, n=3) == ["a", "b", "c"]
    assert hard_negatives(ranked, ["p1", "p2"], n=2, skip=1) == ["b", "c"]
    assert hard_negatives(ranked, {"p1"}, n=10) == ["a", "b", "p2", "c", "d"]
    assert hard_negatives([], {"p1"}, n=2) == []


def test_rerank_order_and_rerank_run_with_a_stand_in_model():
    model = WordOverlap()
    passages = ["nothing here", "the refund window", "refund"]
    assert rerank_order(model, "refund window", passages) == [1, 2, 0]
    run = {"q": {"d1": 0.9, "d2": 0.8, "d3": 0.7, "d4": 0.6}}
    texts = {"d1": "cats", "d2": "refund window", "d3": "refund", "d4": "refund window rules"}
    out = rerank_run(model, run, {"q": "refund window"}, texts, top_n=3, show_progress_bar=False)
    # d4 is outside the top 3: it stays below the reranked documents even though it would score best
    assert list(out["q"]) == ["d2", "d3", "d1", "d4"]
    assert model.calls == 2  # every query's pairs go through in one batched call


def test_the_cache_key_follows_examples_and_settings():
    settings = {"base_model": "m", "epochs": 1, "batch_size": 16, "max_length": 256, "learning_rate": 5e-5, "seed": 0}
    key = reranker_key(EXAMPLES, settings)
    assert key == reranker_key(list(EXAMPLES), dict(settings)) and len(key) == 12
    assert key != reranker_key(EXAMPLES[:-1], settings)
    assert key != reranker_key(EXAMPLES, {**settings, "seed": 1})
    assert key != reranker_key([(q, p, 1.0 - label) for q, p, label in EXAMPLES], settings)


@pytest.mark.parametrize("bad, message", [
    ([("q", "p", 2.0), ("q", "p", 0.0)], "label must be 1.0"),
    ([("q", "", 1.0), ("q", "p", 0.0)], "non-empty"),
    ([("q", "p", 1.0)], "both relevant"),
    ([("q", "p")], "not \\(query, passage, label\\)"),
])
def test_bad_examples_are_refused_before_training(bad, message, tmp_path, monkeypatch):
    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        train_cross_encoder(bad, "bad")


def test_without_the_pretrained_reranker_the_notebook_goes_on(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("RAGFT_MODELS_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty hub cache, so no earlier download is found
    start = time.perf_counter()
    assert pretrained_cross_encoder("cross-encoder/ms-marco-MiniLM-L-6-v2") is None
    assert time.perf_counter() - start < 20
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "not available offline" in lines[0]


@pytest.mark.slow
def test_training_is_cached_and_quiet(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path))
    query = "how long is the refund window"
    passages = [EXAMPLES[0][1], EXAMPLES[1][1]]
    model = train_cross_encoder(EXAMPLES, "tiny", epochs=1, batch_size=8, max_length=64)
    first = capfd.readouterr()
    assert "warning" not in first.err.lower() and "warning" not in first.out.lower()
    assert model.ragft_info["from_cache"] is False and model.ragft_info["seconds"] > 0
    folders = [p.name for p in (tmp_path / "rerankers").iterdir()]
    assert folders == [f"tiny-{reranker_key(EXAMPLES, {k: model.ragft_info[k] for k in ('base_model', 'epochs', 'batch_size', 'max_length', 'learning_rate', 'seed')})}"]
    scores = rr.rerank(model, query, passages)

    again = train_cross_encoder(EXAMPLES, "tiny", epochs=1, batch_size=8, max_length=64)
    second = capfd.readouterr()
    assert "read from the cache" in second.err and "training reranker" not in second.err
    assert again.ragft_info["from_cache"] is True
    np.testing.assert_allclose(rr.rerank(again, query, passages), scores, rtol=1e-5, atol=1e-5)
    assert scores.shape == (2,) and scores.dtype == np.float32
