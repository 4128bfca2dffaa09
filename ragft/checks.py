"""Exercise checks: each runs your function on small cases and compares it with the course's
reference. A wrong answer raises :class:`ExerciseError` with a hint; a pass prints a tick."""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np

from .chunking import chunk_words
from .metrics import reciprocal_rank, recall_at_k, token_f1
from .retrieval import cosine_top_k


class ExerciseError(AssertionError):
    """Your answer is not right yet. The message says which case failed and a hint."""


def _call(fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise ExerciseError(
            "Not done yet: replace `raise NotImplementedError()` in the exercise cell with your code, "
            "run that cell, then run this check again."
        ) from None


def _passed(name: str, cases: int) -> None:
    print(f"✓ {name}: all {cases} cases pass")


def check_documents_per_category(fn) -> None:
    """Notebook 00: ``fn(docs)`` counts documents per category."""
    docs = [SimpleNamespace(id=f"d{i}", category=c, product=p) for i, (c, p) in enumerate(
        [("policy", "all"), ("faq", "relay"), ("policy", "relay"), ("hr", "internal"), ("policy", "all")])]
    got = _call(fn, docs)
    want = Counter(d.category for d in docs)
    if not isinstance(got, dict):
        raise ExerciseError(f"return a dict (or Counter) of category -> count; got {type(got).__name__}")
    if dict(got) != dict(want):
        raise ExerciseError(f"expected {dict(want)}, got {dict(got)}. Hint: count `doc.category`, one per document.")
    if dict(_call(fn, [])) != {}:
        raise ExerciseError("no documents should give an empty dict")
    _passed("documents_per_category", 2)


def check_chunk_words(fn) -> None:
    """Notebook 01: ``fn(text, size, overlap)`` splits a text into fixed-size word chunks."""
    ten = "one two three four five six seven eight nine ten"
    cases = [(ten, 4, 0), (ten, 4, 2), (ten, 5, 0), (ten, 3, 1), ("short text", 50, 10), ("", 5, 0), (ten, 10, 3)]
    for text, size, overlap in cases:
        got, want = _call(fn, text, size, overlap), chunk_words(text, size, overlap)
        if list(got) != want:
            hint = ("Each chunk starts size - overlap words after the previous one."
                    if len(got) == len(want) else
                    "Stop once a chunk reaches the end of the text: a chunk holding only overlap words repeats the previous one, "
                    "and an empty text gives no chunks.")
            raise ExerciseError(f"chunk_words({text!r}, size={size}, overlap={overlap})\n  expected {want}\n  got      {got}\n{hint}")
    for size, overlap in [(4, 4), (4, 6)]:
        try:
            fn(ten, size, overlap)
        except ValueError:
            continue
        except NotImplementedError:
            _call(fn, ten, size, overlap)
        raise ExerciseError(f"chunk_words(text, size={size}, overlap={overlap}) should raise ValueError: the window would never move forward.")
    _passed("chunk_words", len(cases) + 2)


def check_cosine_top_k(fn) -> None:
    """Notebook 01: ``fn(query, matrix, k)`` returns (indices, scores) of the top-k cosine matches."""
    rng = np.random.default_rng(0)
    # Rows of very different lengths: a dot product without normalising ranks them differently.
    matrix = rng.normal(size=(50, 8)) * rng.uniform(0.1, 10, size=(50, 1))
    for trial in range(5):
        query, k = rng.normal(size=8) * 3, [1, 3, 5, 10, 60][trial]
        got_idx, got_scores = (np.asarray(x) for x in _call(fn, query, matrix, k))
        want_idx, want_scores = cosine_top_k(query, matrix, k)
        if got_idx.shape != want_idx.shape:
            raise ExerciseError(f"k={k} over {len(matrix)} rows: expected {len(want_idx)} results, got {len(got_idx)}.")
        if not np.allclose(got_scores, want_scores, atol=1e-5):
            raise ExerciseError(
                f"k={k}: scores differ. expected {np.round(want_scores[:3], 3)}..., got {np.round(got_scores[:3], 3)}...\n"
                "Hint: cosine similarity divides by both vector lengths, and results come best first.")
        if not np.array_equal(got_idx, want_idx):
            raise ExerciseError(f"k={k}: indices differ: expected {want_idx[:5]}..., got {got_idx[:5]}...")
    _passed("cosine_top_k", 5)


def _compare_numbers(name: str, fn, reference, cases: list[tuple], hint: str) -> None:
    """Call ``fn`` and ``reference`` on each case; the numbers they return must agree."""
    for args in cases:
        got, want = _call(fn, *args), reference(*args)
        shown = f"{name}({', '.join(repr(a) for a in args)})"
        try:
            agree = bool(np.isclose(float(got), want))
        except (TypeError, ValueError):
            raise ExerciseError(f"{shown} returned {got!r}; return a number.") from None
        if not agree:
            raise ExerciseError(f"{shown}: expected {want:.3f}, got {got}.\nHint: {hint}")
    _passed(name, len(cases))


def check_recall_at_k(fn) -> None:
    """Notebook 01: ``fn(retrieved_ids, gold_ids, k)``."""
    cases = [(["a", "b", "c"], ["b"], 1), (["a", "b", "c"], ["b"], 2), (["a", "b", "c", "d"], ["d", "a"], 3),
             (["a", "a", "b"], ["a", "b"], 2), (["x", "y"], ["a"], 5), (["a", "b"], ["a", "b"], 2)]
    _compare_numbers("recall_at_k", fn, recall_at_k, cases,
                     "look only at the first k retrieved ids; divide the gold ids found there by the number of gold ids.")


def check_reciprocal_rank(fn) -> None:
    """Notebook 01: ``fn(retrieved_ids, gold_ids)``."""
    cases = [(["a", "b", "c"], ["a"]), (["a", "b", "c"], ["c"]), (["a", "b", "c"], ["c", "b"]), (["a", "b"], ["z"]), ([], ["a"])]
    _compare_numbers("reciprocal_rank", fn, reciprocal_rank, cases,
                     "ranks start at 1; use the FIRST gold id found; 0 when none is retrieved.")


def check_token_f1(fn) -> None:
    """Notebook 01: ``fn(prediction, gold)`` is the SQuAD token F1."""
    cases = [("30 days", "30 days"), ("The window is 30 days.", "30 days"), ("14 days", "30 days"),
             ("days days days", "30 days"), ("", "30 days"), ("$34 per user per month", "$34 per user"),
             ("per user per month", "price per user per month")]
    _compare_numbers("token_f1", fn, token_f1, cases,
                     "normalise both with normalize_answer, count shared tokens with Counter & Counter "
                     "(a repeated token counts only as often as it appears in both), then F1 = 2PR/(P+R).")


def check_failure_labels(fn) -> None:
    """Notebook 01 (open-ended): ``fn()`` returns your failure-mode label for each answer you read.

    There is no single right set of labels, so this checks the form: a dict from evaluation
    question ids to names in :data:`ragft.metrics.FAILURE_MODES`, for at least 10 answers, and
    not one label copied onto every answer. The notebook then compares your labels with the scorer's.
    """
    from .data import load_eval_set
    from .metrics import FAILURE_MODES

    labels = _call(fn)
    if not isinstance(labels, dict):
        raise ExerciseError(f"return a dict {{question id: failure mode}}; got {type(labels).__name__}")
    known = {q["id"] for q in load_eval_set()}
    unknown = sorted(k for k in labels if k not in known)
    if unknown:
        raise ExerciseError(f"{unknown[:3]} are not question ids; use the ids printed above each answer, like 'q012'.")
    bad = sorted({str(v) for v in labels.values() if v not in FAILURE_MODES})
    if bad:
        raise ExerciseError(f"{bad} are not failure modes; use one of {list(FAILURE_MODES)}.")
    if len(labels) < 10:
        raise ExerciseError(f"you labelled {len(labels)} answers; label the 15 printed above (at least 10).")
    if len(set(labels.values())) == 1:
        raise ExerciseError("every answer got the same label; read each one: they fail in different ways.")
    _passed("failure_labels", 4)
