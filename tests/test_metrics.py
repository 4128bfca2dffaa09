"""The reference implementations behind the metrics, chunking and search (known values)."""
import numpy as np
import pytest

from ragft.chunking import chunk_words
from ragft.data import sample_per_type
from ragft.metrics import contains_answer, is_abstention, normalize_answer, recall_at_k, reciprocal_rank, token_f1
from ragft.profiles import settings_for
from ragft.retrieval import cosine_top_k


def test_recall_and_reciprocal_rank():
    assert recall_at_k(["a", "b", "c"], ["c", "x"], 3) == 0.5
    assert recall_at_k(["a", "b", "c"], ["c"], 2) == 0.0
    assert reciprocal_rank(["a", "b", "c"], ["c", "b"]) == 0.5
    assert reciprocal_rank(["a"], ["z"]) == 0.0
    with pytest.raises(ValueError, match="unanswerable"):
        recall_at_k(["a"], [], 1)


def test_answer_metrics():
    assert normalize_answer("The $34 per-user price!") == "34 peruser price"
    assert token_f1("30 days", "30 days") == 1.0
    assert token_f1("The refund window is 30 days.", "30 days") == pytest.approx(2 * (2 / 5) * 1 / (2 / 5 + 1))
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0
    assert contains_answer("You have 30 days.", ["30 days"])
    assert not contains_answer("You have 300 days.", ["30 days"]), "whole words only"
    assert contains_answer("Use RL-413.", ["rl-413"])
    assert not contains_answer("anything", [""]), "an empty alias never matches"
    assert is_abstention("I don't know.") and is_abstention("The context does not contain that.")
    assert not is_abstention("It is 30 days.")


def test_chunk_words_and_cosine_top_k():
    assert chunk_words("a b c d e", 2, 1) == ["a b", "b c", "c d", "d e"]
    assert chunk_words("", 3) == [] and chunk_words("a b", 5, 2) == ["a b"]
    with pytest.raises(ValueError):
        chunk_words("a b", 2, 2)
    matrix = np.array([[1.0, 0.0], [10.0, 10.0], [0.0, 3.0]])
    idx, scores = cosine_top_k(np.array([1.0, 0.9]), matrix, 2)
    assert idx.tolist() == [1, 0] and scores[0] == pytest.approx(np.cos(np.arctan2(0.9, 1) - np.pi / 4))
    assert len(cosine_top_k(np.array([1.0, 0.0]), matrix, 10)[0]) == 3


def test_sample_per_type_is_fixed_and_stratified():
    questions = [{"id": f"q{i}", "type": t} for i, t in enumerate(["lookup", "number"] * 10)]
    sample = sample_per_type(questions, 3, seed=0)
    assert [q["type"] for q in sample].count("lookup") == 3 and len(sample) == 6
    assert sample == sample_per_type(questions, 3, seed=0)
    assert sample_per_type(questions, 0) == questions


def test_profiles_fill_none_and_reject_unknown_values():
    table = {"smoke": {"k": 1, "model": "s"}, "default": {"k": 5, "model": "d"}, "t4": {"k": 8, "model": "t"}}
    assert settings_for("default", table, k=None) == {"k": 5, "model": "d"}
    assert settings_for("smoke", table, k=2)["k"] == 2
    with pytest.raises(ValueError, match="Use one of: smoke, default, t4"):
        settings_for("fast", table)
    with pytest.raises(ValueError, match="unknown setting"):
        settings_for("default", table, top_k=3)
