"""The reference implementations behind the metrics, chunking and search (known values)."""
import numpy as np
import pytest

from ragft.chunking import chunk_words
from ragft.data import sample_per_type
from ragft.metrics import (contains_answer, is_abstention, normalize_answer, recall_at_k, reciprocal_rank, score_answer,
                           stale_facts, token_f1)
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
    assert normalize_answer("The $34 per-user price!") == "$ 34 per user price"
    assert token_f1("30 days", "30 days") == 1.0
    assert token_f1("The refund window is 30 days.", "30 days") == pytest.approx(2 * (2 / 5) * 1 / (2 / 5 + 1))
    assert token_f1("", "") == 1.0 and token_f1("x", "") == 0.0
    assert contains_answer("You have 30 days.", ["30 days"])
    assert not contains_answer("You have 300 days.", ["30 days"]), "whole words only"
    assert contains_answer("Use RL-413.", ["rl-413"])
    assert not contains_answer("anything", [""]), "an empty alias never matches"
    assert is_abstention("I don't know.") and is_abstention("The context does not contain that.")
    assert not is_abstention("It is 30 days.")


# Each trap found in review, both ways: a wrong answer must not match, a right one must.
WRONG_MUST_NOT_MATCH = [
    ("The fee is $50.00.", "$5,000"),  # punctuation deleted without a space made "5000"
    ("A late fee of 1.5% applies.", "15%"),
    ("It is $24.00 per seat.", "$2,400"),
    ("Reports run at 6:00.", "600"),
    ("You have 300 days.", "30 days"),  # whole numbers only
    ("Version 1.5.2 shipped.", "1.5"),
    ("It costs 50 dollars per request.", "$50"),  # a currency sign is part of the value
    ("The limit is 10 requests per second.", "100 requests per second"),
]
RIGHT_MUST_MATCH = [
    ("The fee is $5,000.", "$5000"),
    ("It costs $50.", "$50.00"),
    ("Late fees go up to 1.5% a month.", "1.5%"),
    ("Your ticket is HS-04127.", "HS-"),
    ("Send an Idempotency Key header.", "Idempotency-Key"),
    ("The limit is 20 requests/second.", "20 requests per second"),
    ("The limit is 250 req/s.", "250 requests per second"),
    ("It runs every 2-minute interval.", "2 minutes"),
    ("You get two weeks.", "2 weeks"),
    ("Reports run at 06:00 UTC.", "06:00"),
    ("Use RL-413.", "rl-413"),
    ("They don't expire.", "dont expire"),
]


@pytest.mark.parametrize("prediction, gold", WRONG_MUST_NOT_MATCH)
def test_wrong_numbers_and_codes_do_not_match(prediction, gold):
    assert not contains_answer(prediction, [gold]), (normalize_answer(prediction), normalize_answer(gold))


@pytest.mark.parametrize("prediction, gold", RIGHT_MUST_MATCH)
def test_right_answers_in_other_spellings_match(prediction, gold):
    assert contains_answer(prediction, [gold]), (normalize_answer(prediction), normalize_answer(gold))


def test_numbers_are_canonical():
    assert normalize_answer("5,000 and 1,234,567") == "5000 and 1234567"
    assert normalize_answer("50.00 and 1.50 and 2.05") == "50 and 1.5 and 2.05"
    assert normalize_answer("End of sentence 2025.") == "end of sentence 2025"
    assert normalize_answer("X-Halden-Signature: t=1") == "x halden signature t 1"


QUESTION = {"answer": "14 days", "answer_aliases": ["two weeks"], "stale_answers": ["30 days", "thirty days"]}


@pytest.mark.parametrize("answer, label", [
    ("The trial lasts 14 days.", "correct"),
    ("Two weeks.", "correct"),
    ("It was 30 days, now it is 14 days.", "stale"),  # gold present, but so is the old value
    ("Thirty days.", "stale"),
    ("I don't know.", "abstained"),
    ("It lasts 7 days.", "wrong"),
])
def test_score_answer_labels_stale_before_correct(answer, label):
    assert score_answer(answer, QUESTION) == label


def test_score_answer_on_unanswerable_questions():
    question = {"answer": "", "answer_aliases": [], "stale_answers": []}
    assert score_answer("I don't know; the context does not say.", question) == "correct"
    assert score_answer("Yes, it supports that.", question) == "wrong"


def test_stale_facts_in_replies_depend_on_the_date():
    reply = "Team is $29 per user per month. Your refund window is 14 days from the charge."
    assert stale_facts(reply, "2026-01-10") == ["F1", "F2"]
    assert stale_facts(reply, "2024-10-01") == []
    assert stale_facts("We can refund within 30 days of the charge.", "2024-10-01") == ["F2"]
    # A value only counts in a sentence about its fact: a 14-day trial is not a refund window.
    assert stale_facts("Your trial lasts 14 days. Refunds need a ticket.", "2026-01-10") == []


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


def test_wilson_interval_and_rate_formatting():
    from ragft.stats import format_rate, paired_difference, wilson_interval

    lo, hi = wilson_interval(7, 60)
    assert lo == pytest.approx(0.0577, abs=1e-4) and hi == pytest.approx(0.2218, abs=1e-4)  # textbook values
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert format_rate(7, 60) == "7/60 = 0.12 [0.06, 0.22]"
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    mean, lo, hi = paired_difference([1] * 30, [0] * 30)
    assert mean == 1.0 and lo == 1.0
    mean, lo, hi = paired_difference([1, 0] * 15, [0, 1] * 15)
    assert mean == 0.0 and lo < 0 < hi, "no difference: the interval straddles 0"


def test_triage_field_scores_sit_next_to_the_majority_baseline():
    from ragft.triage import field_scores

    gold = [{"priority": p} for p in ["P3"] * 6 + ["P1", "P2"]]
    constant = [{"priority": "P3"}] * 8
    scores = field_scores(gold, constant, "priority")
    assert scores["accuracy"] == 0.75 == scores["majority_accuracy"], "a constant predictor looks good on accuracy"
    assert scores["macro_f1"] == pytest.approx(scores["majority_macro_f1"]) == pytest.approx((2 * 6 / 14) / 3)
    perfect = field_scores(gold, gold, "priority")
    assert perfect["macro_f1"] == 1.0 and perfect["per_class_f1"] == {"P1": 1.0, "P2": 1.0, "P3": 1.0}
    broken = field_scores(gold, [None] * 8, "priority")
    assert broken["accuracy"] == 0.0, "an unparseable answer counts as wrong"
    with pytest.raises(ValueError):
        field_scores(gold, constant[:3], "priority")


def test_chunk_text_keeps_layout_and_fits_the_token_limit():
    from ragft.chunking import chunk_text

    text = "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nLast line here."
    for size, overlap in [(3, 1), (4, 0), (50, 10)]:
        chunks = chunk_text(text, size, overlap)
        assert [" ".join(c.split()) for c in chunks] == chunk_words(text, size, overlap), "same words as chunk_words"
        assert all(c in text for c in chunks), "each chunk is a slice of the text, line breaks kept"
    assert "\n| 1 | 2 |\n" in chunk_text(text, 50)[0]
    count = lambda s: len(s.split()) * 2  # a toy tokenizer: two tokens a word
    fitted = chunk_text(text, 10, 0, max_tokens=8, count_tokens=count)
    assert all(count(c) <= 8 for c in fitted) and " ".join(" ".join(fitted).split()) == " ".join(text.split())
    with pytest.raises(ValueError, match="both"):
        chunk_text(text, 10, 0, max_tokens=8)


@pytest.mark.parametrize("answer, mode", [
    ("The trial lasts 14 days [policy-free-trial-v2].", "correct"),
    ("It is 30 days.", "stale version"),
    ("The trial is the trial is the trial is the trial is", "loops"),
    ("2025-11-04", "copies the date"),
    ("The answer is: 2025-11", "copies the date"),
    ("I don't know.", "abstains"),
    ("It lasts 7 days.", "wrong"),
])
def test_failure_modes_on_an_answerable_question(answer, mode):
    from ragft.metrics import failure_mode

    question = {**QUESTION, "asked_on": "2025-11-04", "as_of": "2025-11-04"}
    assert failure_mode(answer, question) == mode


def test_failure_modes_on_an_unanswerable_question():
    from ragft.metrics import failure_mode

    question = {"answer": "", "answer_aliases": [], "stale_answers": [], "asked_on": "2025-11-04", "as_of": "2025-11-04"}
    assert failure_mode("I don't know.", question) == "correct"
    assert failure_mode("Yes, WhatsApp is supported on Team.", question) == "fabricates"


def test_encode_cached_computes_once_per_model_and_texts(tmp_path, monkeypatch):
    from ragft.retrieval import encode_cached

    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path))

    class CountingEmbedder:
        calls = 0

        def encode(self, texts, batch_size=32, show_progress_bar=False):
            CountingEmbedder.calls += 1
            return np.array([[len(t), 1.0] for t in texts])

    embedder = CountingEmbedder()
    first = encode_cached(embedder, ["a", "bb"], "m")
    again = encode_cached(embedder, ["a", "bb"], "m")
    assert CountingEmbedder.calls == 1 and np.array_equal(first, again)
    encode_cached(embedder, ["a", "bb"], "other-model")
    encode_cached(embedder, ["bb", "a"], "m")
    assert CountingEmbedder.calls == 3, "another model or another order is another entry"


def test_stated_version_matches_whole_normalised_values():
    from ragft.metrics import changing_facts, stated_version

    facts = {f["id"]: f for f in changing_facts()}
    assert stated_version("The Team plan costs $29 per user.", facts["F1"]) == "old"
    assert stated_version("It is $34 now.", facts["F1"]) == "new"
    assert stated_version("Ten seats cost $290.", facts["F1"]) == "neither"
    assert stated_version("It was $29, now $34.", facts["F1"]) == "both"
    assert stated_version("Refunds within a 14-day window.", facts["F2"]) == "old"
    assert stated_version("FOURTEEN DAYS", facts["F2"]) == "old"
