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


def _call_case(fn, shown: str, *args):
    """Call ``fn`` on one case; any exception other than the stub's becomes a helpful ExerciseError."""
    try:
        return _call(fn, *args)
    except ExerciseError:
        raise
    except Exception as exc:  # a learner's function that crashes on a case
        raise ExerciseError(f"{shown} raised {type(exc).__name__}: {exc}. Return a list of problems instead of failing.") from None


def check_row_problems(fn) -> None:
    """Notebook 06: ``fn(row, schema_errors)`` lists the problems with one chat-format triage row."""
    import json

    from .finetune import chat_row_problems
    from .triage import schema_errors

    answer = {"category": "billing", "priority": "P3", "product": "none", "sentiment": "neutral", "needs_human": False,
              "reply": "You can switch to annual billing at any time in the billing settings.", "kb_ids": ["billing-annual-billing"]}
    turns = [{"role": "system", "content": "Triage."}, {"role": "user", "content": "Can I pay yearly?"}]
    valid = {"id": "ok", "messages": turns + [{"role": "assistant", "content": json.dumps(answer)}]}
    cases = {
        "a valid row": valid,
        "no messages": {"id": "x"},
        "an empty messages list": {"id": "x", "messages": []},
        "an unknown role": {"id": "x", "messages": [{"role": "customer", "content": "hi"}, valid["messages"][-1]]},
        "an empty turn": {"id": "x", "messages": [{"role": "user", "content": "  "}, valid["messages"][-1]]},
        "the user speaking last": {"id": "x", "messages": turns},
        "an answer that is not JSON": {"id": "x", "messages": turns + [{"role": "assistant", "content": "{'category': billing"}]},
        "a JSON answer that breaks the schema": {"id": "x", "messages": turns + [{"role": "assistant", "content": json.dumps({**answer, "priority": "urgent"})}]},
        "an answer that is a JSON list": {"id": "x", "messages": turns + [{"role": "assistant", "content": "[1, 2]"}]},
    }
    for name, row in cases.items():
        got = _call_case(fn, f"row_problems({name})", row, schema_errors)
        if not isinstance(got, list):
            raise ExerciseError(f"row_problems({name}) returned {type(got).__name__}; return a list of strings.")
        want = chat_row_problems(row)
        if bool(got) != bool(want):
            raise ExerciseError(f"{name}: expected {'no problems' if not want else 'a problem like ' + repr(want[0])}, got {got!r}.")
    got = fn(cases["a JSON answer that breaks the schema"], schema_errors)
    if not any("priority" in str(p) for p in got):
        raise ExerciseError(f"for a schema violation, include the schema's message (it names the field 'priority'); got {got!r}")
    _passed("row_problems", len(cases))


def check_mask_prompt_labels(fn) -> None:
    """Notebook 06: ``fn(input_ids, prompt_length)`` masks the prompt's labels with -100."""
    from .finetune import mask_prompt_labels

    cases = [([5, 6, 7, 8, 9], 2), ([5, 6, 7], 0), ([5, 6, 7], 3), ([1, 1, 2, 2, 2], 3)]
    for ids, n in cases:
        got, want = _call(fn, ids, n), mask_prompt_labels(ids, n)
        if list(got) != want:
            raise ExerciseError(f"mask_prompt_labels({ids}, prompt_length={n})\n  expected {want}\n  got      {list(got)}\n"
                                "Hint: the first prompt_length labels are -100, the rest are the token ids themselves.")
    for ids, n in [([5, 6], 3), ([5, 6], -1)]:
        try:
            fn(ids, n)
        except ValueError:
            continue
        raise ExerciseError(f"mask_prompt_labels({ids}, prompt_length={n}) should raise ValueError: the prompt cannot be longer than the example or negative.")
    _passed("mask_prompt_labels", len(cases) + 2)


def check_max_length(fn) -> None:
    """Notebook 06 (open-ended): ``fn(lengths)`` chooses a maximum sequence length for the triage examples.

    Any choice that keeps at least 95% of the training examples whole and is at most twice the
    longest one passes; the check prints what the choice costs.
    """
    from transformers import AutoTokenizer

    from .data import load_finetune_set
    from .models import DEFAULT_GENERATOR, resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(DEFAULT_GENERATOR).path)
    texts = [tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in load_finetune_set("triage_train")]
    lengths = np.array([len(ids) for ids in tokenizer(texts, add_special_tokens=False).input_ids])
    choice = _call(fn, lengths)
    try:
        choice = int(choice)
    except (TypeError, ValueError):
        raise ExerciseError(f"return a whole number of tokens; got {choice!r}") from None
    whole = float((lengths <= choice).mean())
    if whole < 0.95:
        raise ExerciseError(f"{choice} tokens keeps only {whole:.1%} of the examples whole; the rest would be cut, "
                            "and a cut triage answer is invalid JSON. Look at the high percentiles.")
    if choice > 2 * lengths.max():
        raise ExerciseError(f"{choice} tokens is more than twice the longest example ({lengths.max()}); nothing needs that much.")
    print(f"MAX_LENGTH {choice}: {whole:.1%} of the {len(lengths)} examples fit whole; "
          f"{int((lengths > choice).sum())} would be cut.")
    _passed("max_length", 2)
