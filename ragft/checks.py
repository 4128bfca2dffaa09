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

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback through the check's own code, which would bury the message.
        return ["\x1b[0;31mExerciseError\x1b[0m: " + str(self)]


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


def _call_case(fn, shown: str, *args, hint: str = "Return a list of problems instead of failing."):
    """Call ``fn`` on one case; any exception other than the stub's becomes a helpful ExerciseError."""
    try:
        return _call(fn, *args)
    except ExerciseError:
        raise
    except Exception as exc:  # a learner's function that crashes on a case
        raise ExerciseError(f"{shown} raised {type(exc).__name__}: {exc}. {hint}") from None


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


def check_lora_linear(cls) -> None:
    """Notebook 07: ``cls(base, r, alpha)`` wraps an ``nn.Linear`` with a LoRA update.

    It must freeze the base, hold trainable ``A`` (r x in) and ``B`` (out x r), start with ``B = 0``
    (so the wrapped layer first behaves exactly like the base) and compute
    ``base(x) + (alpha / r) * x A^T B^T``.
    """
    import torch

    torch.manual_seed(0)
    base = torch.nn.Linear(6, 4)
    x = torch.randn(3, 6)
    layer = _call_case(cls, "LoRALinear(base, r=2, alpha=8)", base, 2, 8, hint="Check the constructor.")
    forward = lambda: _call_case(layer, "forward(x) with x of shape (3, 6)", x,
                                 hint="Check the shapes: x @ A.T is (batch, r), then @ B.T is (batch, out).")
    A, B = getattr(layer, "A", None), getattr(layer, "B", None)
    if not isinstance(A, torch.nn.Parameter) or not isinstance(B, torch.nn.Parameter):
        raise ExerciseError("store the two low-rank matrices as nn.Parameter attributes named A and B.")
    if tuple(A.shape) != (2, 6) or tuple(B.shape) != (4, 2):
        raise ExerciseError(f"with in_features=6, out_features=4 and r=2, A must be 2x6 and B 4x2; got A {tuple(A.shape)}, B {tuple(B.shape)}.")
    if any(p.requires_grad for p in base.parameters()):
        raise ExerciseError("the base layer's weights must be frozen (requires_grad=False): LoRA trains only A and B.")
    if not (A.requires_grad and B.requires_grad):
        raise ExerciseError("A and B must be trainable (requires_grad=True).")
    with torch.no_grad():
        start = forward()
        if not torch.allclose(start, base(x), atol=1e-6):
            raise ExerciseError("before training the wrapped layer must give exactly the base layer's output: initialise B to zeros "
                                "(and A randomly, so the gradient of B is not zero).")
        if float(A.abs().sum()) == 0:
            raise ExerciseError("A is all zeros: with A = 0 and B = 0 no gradient ever reaches either. Initialise A randomly.")
        A.copy_(torch.randn(2, 6))
        B.copy_(torch.randn(4, 2))
        want = base(x) + (8 / 2) * (x @ A.T @ B.T)
        got = forward()
    if tuple(got.shape) != (3, 4):
        raise ExerciseError(f"the output for a batch of 3 inputs must have shape (3, 4); got {tuple(got.shape)}.")
    if not torch.allclose(got, want, atol=1e-5):
        raise ExerciseError("with A and B set, forward(x) must be base(x) + (alpha / r) * x @ A.T @ B.T; yours differs. "
                            "Check the scale (alpha / r, here 4) and the order of the two products.")
    _passed("LoRALinear", 5)


def check_kb_precision_recall(fn) -> None:
    """Notebook 07: ``fn(gold, predicted)`` gives micro-averaged precision and recall of cited ids."""
    from .triage import kb_ids_precision_recall

    cases = [
        ([["a"], ["b", "c"]], [["a"], ["b"]]),
        ([["a"], ["b"]], [["a", "x", "y"], []]),
        ([["a", "b", "c"], []], [["a"], ["z"]]),
        ([["a"], ["b"]], [None, ["b"]]),
        ([[], []], [[], []]),
    ]
    for gold, predicted in cases:
        got = _call_case(fn, f"kb_precision_recall({gold}, {predicted})", gold, predicted, hint="A None entry cites nothing.")
        want = kb_ids_precision_recall(gold, predicted)
        try:
            ok = len(got) == 2 and all((np.isnan(w) and np.isnan(float(g))) or abs(float(g) - w) < 1e-9 for g, w in zip(got, want))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ExerciseError(f"kb_precision_recall(gold={gold}, predicted={predicted})\n  expected (precision, recall) = "
                                f"({want[0]:.3f}, {want[1]:.3f})\n  got {got!r}\nHint: count hits, cited ids and gold ids over all "
                                "tickets, then divide once (micro-average); None cites nothing; an empty denominator gives "
                                "float('nan'), since nothing cited has no precision.")
    _passed("kb_precision_recall", len(cases))


def check_training_steps(fn) -> None:
    """Notebook 07 (open-ended): ``fn(validation)`` picks how many training steps to keep from a
    validation-loss curve, a list of ``(step, loss)``.

    Any step whose validation loss is within 5% of the curve's lowest passes, on three curves:
    one that keeps falling, one that turns up (overfitting) and one that is flat.
    """
    curves = {
        "still falling": [(10, 2.0), (20, 1.6), (30, 1.4), (40, 1.3)],
        "overfits after step 20": [(10, 1.9), (20, 1.2), (30, 1.35), (40, 1.7)],
        "flat from step 20": [(10, 1.5), (20, 1.02), (30, 1.0), (40, 1.01)],
    }
    for name, curve in curves.items():
        step = _call(fn, list(curve))
        losses = dict(curve)
        if step not in losses:
            raise ExerciseError(f"on the curve '{name}' you chose step {step!r}; choose one of the evaluated steps {sorted(losses)}.")
        best = min(losses.values())
        if losses[step] > 1.05 * best:
            raise ExerciseError(f"on the curve '{name}' ({curve}) step {step} has validation loss {losses[step]}, more than 5% above "
                                f"the best ({best}). Training past the lowest validation loss fits the training set, not the task.")
    _passed("choose_training_steps", len(curves))


def check_stated_version(fn) -> None:
    """Notebook 08: ``fn(text, fact)`` says which version of a changing fact a text states."""
    from .metrics import changing_facts, stated_version

    facts = {f["id"]: f for f in changing_facts()}
    cases = [
        ("The Team plan costs $29 per user per month.", "F1"),
        ("The Team plan is $34 per user per month.", "F1"),
        ("Ten users on Team cost $290 a month.", "F1"),
        ("It used to be $29; since July it is $34.", "F1"),
        ("You can get a refund within a 14-day window.", "F2"),
        ("Refunds are possible for FOURTEEN DAYS after purchase.", "F2"),
        ("Refunds: 30 days.", "F2"),
        ("I don't know.", "F3"),
        ("The SMS feature is called QuickText.", "F6"),
    ]
    for text, fact_id in cases:
        got = _call_case(fn, f"stated_version({text!r}, {fact_id})", text, facts[fact_id], hint="Return one of the four strings.")
        want = stated_version(text, facts[fact_id])
        if got != want:
            raise ExerciseError(f"stated_version({text!r}, {fact_id}: {facts[fact_id]['fact']})\n  expected {want!r}\n  got      {got!r}\n"
                                "Hint: normalise the text and each value with normalize_answer, and match whole words "
                                "(pad both with spaces), so '$290' is not '$29' and 'FOURTEEN DAYS' is 'fourteen days'.")
    _passed("stated_version", len(cases))


def check_forgetting_rate(fn) -> None:
    """Notebook 08: ``fn(before, after)`` is the share of items right before training that are wrong after."""
    cases = [
        ([True, True, False, False], [True, False, True, False], 0.5),
        ([True, True, True, True], [True, True, True, True], 0.0),
        ([True, False, False, False], [False, True, True, True], 1.0),
        ([False, True, True, False, True], [True, True, False, True, False], 2 / 3),
    ]
    for before, after, want in cases:
        got = _call_case(fn, f"forgetting_rate({before}, {after})", list(before), list(after), hint="Return a number.")
        try:
            ok = abs(float(got) - want) < 1e-9
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ExerciseError(f"forgetting_rate(before={before}, after={after})\n  expected {want:.3f}\n  got      {got!r}\n"
                                "Hint: only items the model got right before count (the denominator); of those, how many are now "
                                "wrong? Items it learned anew do not cancel forgotten ones.")
    for before, after in [([False, False], [True, False]), ([True], [True, False])]:
        try:
            fn(before, after)
        except ValueError:
            continue
        raise ExerciseError(f"forgetting_rate({before}, {after}) should raise ValueError: "
                            + ("nothing was right before, so nothing can be forgotten." if len(before) == len(after) else "the lists differ in length."))
    _passed("forgetting_rate", len(cases) + 2)


def check_choose_epochs(fn) -> None:
    """Notebook 08 (open-ended): ``fn(table)`` picks the epochs to ship from ``{epochs: {"facts": acc, "general": acc}}``.

    Any choice passes that is one of the measured epochs and is not beaten on both measures at once
    by another measured epoch (it is on the Pareto front).
    """
    tables = [
        {1: {"facts": 0.1, "general": 0.9}, 3: {"facts": 0.5, "general": 0.85}, 5: {"facts": 0.6, "general": 0.6}},
        {1: {"facts": 0.2, "general": 0.8}, 3: {"facts": 0.6, "general": 0.9}, 5: {"facts": 0.5, "general": 0.7}},
        {1: {"facts": 0.0, "general": 1.0}, 3: {"facts": 0.0, "general": 0.9}, 10: {"facts": 0.1, "general": 0.9}},
    ]
    for table in tables:
        choice = _call_case(fn, f"choose_epochs({table})", {k: dict(v) for k, v in table.items()}, hint="Return a number of epochs.")
        if not isinstance(choice, (int, np.integer)) or choice not in table:
            raise ExerciseError(f"choose one of the measured epochs {sorted(table)}; got {choice!r} for {table}")
        mine = table[choice]
        beaten = [e for e, v in table.items() if v["facts"] >= mine["facts"] and v["general"] >= mine["general"] and v != mine]
        if beaten:
            raise ExerciseError(f"in {table}, {choice} epochs is beaten on both measures by {beaten[0]} epochs; "
                                "never ship a setting that another setting beats on everything you measured.")
    _passed("choose_epochs", len(tables))


def _with_time_limit(seconds: float, shown: str, fn, *args):
    """Call ``fn(*args)``, stopping it with a clear message after ``seconds`` (where the platform allows)."""
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return _call_case(fn, shown, *args, hint="")

    def stop(*_):
        raise ExerciseError(f"{shown} did not finish within {seconds:g} s: does every step move forward?")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return _call_case(fn, shown, *args, hint="")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_pack_sentences(fn) -> None:
    """Notebook 02: ``fn(sentences, max_words, overlap)`` packs sentences into chunks of at most max_words."""
    from .chunking import pack_sentences

    s = ["One two three.", "Four five.", "Six seven eight nine.", "Ten.", "Eleven twelve."]
    long = ["a b c d e f g h", "i j", "k l m"]
    cases = [(s, 5, 0), (s, 6, 1), (s, 100, 0), (s, 4, 0), (long, 4, 1), (s, 9, 2), ([], 5, 0), (["Only one."], 1, 1)]
    for sentences, max_words, overlap in cases:
        shown = f"pack_sentences({sentences}, max_words={max_words}, overlap={overlap})"
        got = _with_time_limit(5, shown, fn, list(sentences), max_words, overlap)
        want = pack_sentences(sentences, max_words, overlap)
        if got != want:
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {got}\nHint: add whole sentences while the chunk stays "
                                "within max_words (a longer sentence is a chunk on its own); the next chunk starts `overlap` "
                                "sentences before the end of the last one, but always at least one sentence further on; "
                                "join with '\\n'.")
    _passed("pack_sentences", len(cases))


def check_split_by_headings(fn) -> None:
    """Notebook 02: ``fn(text)`` splits markdown into sections, one per heading."""
    from .chunking import split_by_headings

    cases = [
        "# Title\nIntro line.\n## A\nText a.\n\n## B\nText b.\n",
        "Preface before any heading.\n\n# Title\nBody.",
        "# T\n## A\n### A.1\nDeep.\n#### A.1.1\nDeeper.\n## B\n| x | y |\n|---|---|\n| 1 | 2 |",
        "# T\nA #hashtag is not a heading, nor is\n#this line.\n## Next\nok",
        "## API\nCall it:\n```bash\n# list incidents\ncurl https://x\n```\n## After\ndone",
        "",
    ]
    for text in cases:
        shown = f"split_by_headings({text!r})"
        got = _call_case(fn, shown, text, hint="")
        want = split_by_headings(text)
        if got != want:
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {got}\nHint: a heading is a line of 1-6 '#' then a "
                                "space, outside ``` code blocks; it starts a new section (text before the first heading is a section too); strip "
                                "each section and drop empty ones.")
    _passed("split_by_headings", len(cases))


def check_choose_chunking(fn) -> None:
    """Notebook 02 (open-ended): ``fn(table)`` picks a chunking from a dev table with columns
    ``nDCG@10``, ``lo``, ``hi`` (its 95% interval) and ``index MB``, one row per strategy (the index).

    Any choice passes that is a row of the table, is not clearly worse than the best (its interval
    reaches the best mean), and is not beaten on both quality and index size by another row.
    """
    import pandas as pd

    tables = [
        pd.DataFrame({"nDCG@10": [0.50, 0.62, 0.60, 0.40], "lo": [0.44, 0.56, 0.54, 0.33], "hi": [0.56, 0.68, 0.66, 0.47],
                      "index MB": [2.0, 2.5, 1.5, 1.0]}, index=["fixed", "sentences", "markdown", "tiny"]),
        pd.DataFrame({"nDCG@10": [0.70, 0.55, 0.69], "lo": [0.64, 0.49, 0.63], "hi": [0.76, 0.61, 0.75],
                      "index MB": [3.0, 1.0, 4.0]}, index=["a", "b", "c"]),
    ]
    _check_pareto_choice(fn, "choose_chunking", tables, "index MB", "strategy")


def bm25_reference(query_terms: list[str], docs_terms: list[list[str]], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Lucene's BM25 (the variant bm25s computes, without the constant factor k1 + 1) of one query against each
    document, as term lists."""
    n = len(docs_terms)
    avgdl = sum(len(d) for d in docs_terms) / n
    scores = np.zeros(n)
    for term in set(query_terms):
        df = sum(term in d for d in docs_terms)
        if df == 0:
            continue
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, d in enumerate(docs_terms):
            tf = d.count(term)
            scores[i] += idf * tf / (tf + k1 * (1 - b + b * len(d) / avgdl))
    return scores


def check_bm25_scores(fn) -> None:
    """Notebook 03: ``fn(query_terms, docs_terms, k1, b)`` returns the BM25 score of each document."""
    docs = [["refund", "window", "day", "refund"], ["invoic", "sent", "month"], ["refund", "polici", "enterpris", "contract", "sign"],
            ["api", "key", "rotat"], ["window", "seat"]]
    cases = [(["refund"], docs, 1.2, 0.75), (["refund", "window"], docs, 1.2, 0.75), (["refund", "refund", "seat"], docs, 1.5, 0.75),
             (["refund", "window"], docs, 1.2, 0.0), (["unknown"], docs, 1.2, 0.75)]
    for query, d, k1, b in cases:
        shown = f"bm25_scores({query}, <5 documents>, k1={k1}, b={b})"
        got = _call_case(fn, shown, list(query), [list(x) for x in d], k1, b, hint="Return one score per document.")
        want = bm25_reference(query, d, k1, b)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise ExerciseError(f"{shown}: return a list or array of numbers, one per document; got {got!r}") from None
        if got.shape != want.shape or not np.allclose(got, want, atol=1e-6):
            raise ExerciseError(f"{shown}\n  expected {np.round(want, 4).tolist()}\n  got      {np.round(got, 4).tolist()}\n"
                                "Hint: idf = log(1 + (N - df + 0.5) / (df + 0.5)); each distinct query term adds "
                                "idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl)).")
    _passed("bm25_scores", len(cases))


def check_reciprocal_rank_fusion(fn) -> None:
    """Notebook 03: ``fn(rankings, k)`` fuses ranked lists of ids into ``{id: score}``, best first."""
    from .fusion import reciprocal_rank_fusion

    cases = [([["a", "b", "c"], ["c", "a", "d"]], 60), ([["a", "b"], ["b", "a"]], 1), ([["x"], [], ["y", "x"]], 60),
             ([["d1", "d2", "d3", "d4"]], 10), ([["a", "b"], ["c", "d"], ["d", "b"]], 0)]
    for rankings, k in cases:
        shown = f"reciprocal_rank_fusion({rankings}, k={k})"
        got = _call_case(fn, shown, [list(r) for r in rankings], k, hint="Return a dict of id -> fused score.")
        want = reciprocal_rank_fusion(rankings, k)
        if not isinstance(got, dict) or set(got) != set(want) or not all(np.isclose(got[i], want[i]) for i in want):
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {got}\nHint: ranks start at 1; each list adds "
                                "1 / (k + rank) to the ids it holds.")
        ordered = sorted(got, key=lambda i: -got[i])
        if [got[i] for i in got] != [got[i] for i in ordered]:
            raise ExerciseError(f"{shown}: return the dict sorted best first (highest fused score first).")
    _passed("reciprocal_rank_fusion", len(cases))


def check_choose_rerank_depth(fn) -> None:
    """Notebook 03 (open-ended): ``fn(table)`` picks how many candidates to rerank from a dev table indexed
    by depth N with columns ``nDCG@10``, ``lo``, ``hi`` and ``ms`` (median latency per query)."""
    import pandas as pd

    tables = [
        pd.DataFrame({"nDCG@10": [0.60, 0.68, 0.70, 0.70], "lo": [0.54, 0.62, 0.64, 0.64], "hi": [0.66, 0.74, 0.76, 0.76],
                      "ms": [0.0, 40.0, 80.0, 160.0]}, index=[0, 10, 20, 40]),
        pd.DataFrame({"nDCG@10": [0.70, 0.52, 0.55], "lo": [0.64, 0.46, 0.49], "hi": [0.76, 0.58, 0.61],
                      "ms": [0.0, 30.0, 60.0]}, index=[0, 10, 20]),
    ]
    _check_pareto_choice(fn, "choose_rerank_depth", tables, "ms", "depth")


def _check_pareto_choice(fn, name: str, tables, cost: str, what: str) -> None:
    """Open-ended choices from a dev table (rows: options; columns ``nDCG@10`` or another quality first, ``lo``,
    ``hi``, and a ``cost`` column): the choice must be a row, not clearly worse than the best (its interval
    reaches the best mean), and not beaten by another row that is at least as good and no more costly."""
    for table in tables:
        quality = table.columns[0]
        choice = _call_case(fn, f"{name}(<dev table of {list(table.index)}>)", table.copy(), hint=f"Return one {what} from the table's index.")
        if choice not in table.index:
            raise ExerciseError(f"return one {what} from the table's index {list(table.index)}; got {choice!r}")
        row, best = table.loc[choice], table[quality].max()
        if row["hi"] < best:
            raise ExerciseError(f"{choice!r} ({quality} {row[quality]}, interval up to {row['hi']}) is clearly worse than the best "
                                f"({best}) on dev. Choose among the options whose interval reaches the best.")
        better = [o for o, r in table.iterrows() if o != choice and r[quality] >= row[quality] and r[cost] <= row[cost]
                  and (r[quality], r[cost]) != (row[quality], row[cost])]
        if better:
            raise ExerciseError(f"{better[0]!r} is at least as good as {choice!r} on dev and costs no more ({cost}): "
                                "never ship a setting another one beats on everything you measured.")
    _passed(name, len(tables))


def check_valid_on(fn) -> None:
    """Notebook 04: ``fn(day)`` returns a Qdrant filter keeping the chunks whose document is in force on ``day``."""
    from qdrant_client import QdrantClient, models

    from .vectorstore import day_number, valid_on

    spans = {1: ("2016-01-01", "9999-12-31"), 2: ("2024-01-01", "2025-03-01"), 3: ("2025-03-01", "9999-12-31"),
             4: ("2025-03-01", "2025-07-01"), 5: ("2025-07-01", "9999-12-31")}
    client = QdrantClient(":memory:")
    client.create_collection("check", vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE))
    client.upsert("check", [models.PointStruct(id=i, vector=[1.0, float(i)], payload={
        "valid_from": a, "valid_until": b, "valid_from_int": day_number(a), "valid_until_int": day_number(b)}) for i, (a, b) in spans.items()])
    days = ["2024-06-30", "2025-02-28", "2025-03-01", "2025-06-30", "2025-07-01", "2015-12-31"]
    for day in days:
        query_filter = _call_case(fn, f"valid_on({day!r})", day, hint="Return a qdrant_client.models.Filter.")
        if not isinstance(query_filter, models.Filter):
            raise ExerciseError(f"valid_on({day!r}) must return a qdrant_client.models.Filter; got {type(query_filter).__name__}")
        try:
            got = sorted(p.id for p in client.query_points("check", query=[1.0, 1.0], query_filter=query_filter, limit=10).points)
        except Exception as exc:
            raise ExerciseError(f"Qdrant rejected the filter of valid_on({day!r}): {exc}") from None
        want = sorted(p.id for p in client.query_points("check", query=[1.0, 1.0], query_filter=valid_on(day), limit=10).points)
        if got != want:
            shown = {i: spans[i] for i in spans}
            raise ExerciseError(f"on {day}, documents valid over {shown} (from inclusive, until exclusive): your filter keeps "
                                f"{got}, it should keep {want}.\nHint: valid_from_int <= day and valid_until_int > day, with "
                                "day = day_number(day).")
    client.close()
    _passed("valid_on", len(days))


def check_prefer_in_force(fn) -> None:
    """Notebook 04: ``fn(hits, day)`` moves the hits in force on ``day`` first, keeping each group's order."""
    from .vectorstore import day_number, prefer_in_force

    def hit(name, a, b):
        return {"chunk_id": name, "valid_from_int": day_number(a), "valid_until_int": day_number(b)}

    old, new, always = ("2024-01-01", "2025-03-01"), ("2025-03-01", "9999-12-31"), ("2016-01-01", "9999-12-31")
    cases = [
        ([hit("old#1", *old), hit("new#1", *new), hit("faq#0", *always), hit("old#2", *old)], "2025-06-01"),
        ([hit("old#1", *old), hit("new#1", *new), hit("faq#0", *always), hit("old#2", *old)], "2024-06-01"),
        ([hit("new#1", *new), hit("old#1", *old)], "2025-03-01"),
        ([hit("old#1", *old), hit("new#1", *new)], "2025-03-01"),
        ([hit("new#1", *new), hit("old#1", *old)], "2025-02-28"),
        ([], "2025-01-01"),
    ]
    for hits, day in cases:
        shown = f"prefer_in_force({[h['chunk_id'] for h in hits]}, {day!r})"
        got = _call_case(fn, shown, [dict(h) for h in hits], day, hint="Return the list of hits, reordered.")
        want = prefer_in_force(hits, day)
        if not isinstance(got, list) or [h.get("chunk_id") for h in got] != [h["chunk_id"] for h in want]:
            shown_got = [h.get("chunk_id") for h in got] if isinstance(got, list) else got
            raise ExerciseError(f"{shown}: expected {[h['chunk_id'] for h in want]}, got {shown_got}.\nHint: keep every hit; "
                                "those in force on the day (valid_from_int <= day < valid_until_int) come first, and each "
                                "group keeps its original order (a stable sort).")
    _passed("prefer_in_force", len(cases))


def check_choose_top_k(fn) -> None:
    """Notebook 04 (open-ended): ``fn(table)`` picks how many chunks go in the prompt from a dev table indexed by k,
    with columns ``gold in context`` (share), ``lo``, ``hi`` and ``prompt tokens``."""
    import pandas as pd

    tables = [
        pd.DataFrame({"gold in context": [0.40, 0.60, 0.70, 0.72], "lo": [0.30, 0.50, 0.60, 0.62], "hi": [0.50, 0.70, 0.80, 0.82],
                      "prompt tokens": [300, 600, 1000, 1700]}, index=[1, 3, 5, 8]),
        pd.DataFrame({"gold in context": [0.80, 0.78, 0.60], "lo": [0.70, 0.68, 0.50], "hi": [0.90, 0.88, 0.70],
                      "prompt tokens": [400, 900, 1500]}, index=[2, 4, 8]),
    ]
    _check_pareto_choice(fn, "choose_top_k", tables, "prompt tokens", "k")


def check_support_ratio(fn) -> None:
    """Notebook 05: ``fn(answer, context)`` is the share of the answer's content words found in the context."""
    from .rag_eval import support_ratio

    context = "Refunds over $5,000 are approved by the Finance Controller within 5 business days."
    cases = [("The Finance Controller approves it [policy-refunds-v2].", context), ("The CFO approves refunds.", context),
             ("It is the the the Finance Controller.", context), ("Finance finance finance, not the CFO.", context), ("I don't know.", context), ("", context),
             ("$5000 refunds: finance controller", context), ("The billing team, within 10 days.", context)]
    for answer, ctx in cases:
        shown = f"support_ratio({answer!r}, {ctx!r})"
        got = _call_case(fn, shown, answer, ctx, hint="Return a number between 0 and 1.")
        want = support_ratio(answer, ctx)
        try:
            ok = bool(np.isclose(float(got), want))
        except (TypeError, ValueError):
            raise ExerciseError(f"{shown} returned {got!r}; return a number.") from None
        if not ok:
            raise ExerciseError(f"{shown}: expected {want:.3f}, got {got}.\nHint: normalise both with normalize_answer (after "
                                "removing [cited-ids] from the answer), take the answer's distinct words minus STOPWORDS, and "
                                "return the share found among the context's words (1.0 if none are left).")
    _passed("support_ratio", len(cases))


def check_citation_scores(fn) -> None:
    """Notebook 05: ``fn(answer, given_ids, gold_ids)`` scores an answer's citations."""
    from .rag_eval import citation_scores

    given, gold = ["policy-refunds-v2", "billing-faq"], ["policy-refunds-v2"]
    cases = [("30 days [policy-refunds-v2].", given, gold), ("30 days [billing-faq].", given, gold), ("30 days.", given, gold),
             ("30 days [policy-refunds-v1].", given, gold), ("See [billing-faq] and [made-up-doc].", given, gold),
             ("I don't know [billing-faq].", given, []), ("[policy-refunds-v2][policy-refunds-v2]", given, gold)]
    for answer, g, gd in cases:
        shown = f"citation_scores({answer!r}, {g}, {gd})"
        got = _call_case(fn, shown, answer, list(g), list(gd), hint="Return a dict of three booleans.")
        want = citation_scores(answer, g, gd)
        if not isinstance(got, dict) or {k: bool(got.get(k)) for k in want} != want:
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {got}\nHint: cited ids are the texts in square brackets; "
                                "'cites only given sources' needs at least one citation, all of them among given_ids.")
    _passed("citation_scores", len(cases))


def check_choose_threshold(fn) -> None:
    """Notebook 05 (open-ended): ``fn(table)`` picks a retrieval-score threshold under which the system says "I don't
    know". The table (index: thresholds) has ``abstains on unanswerable`` with ``lo``-``hi`` and ``refuses answerable``.

    Any choice passes that refuses at most 15% of answerable dev questions, is not clearly worse than the best such
    threshold at abstaining, and is not beaten by a threshold that abstains as often and refuses no more.
    """
    import pandas as pd

    tables = [
        pd.DataFrame({"abstains on unanswerable": [0.0, 0.2, 0.45, 0.7, 1.0], "lo": [0.0, 0.1, 0.3, 0.55, 0.9],
                      "hi": [0.1, 0.35, 0.6, 0.82, 1.0], "refuses answerable": [0.0, 0.02, 0.08, 0.3, 1.0]},
                     index=[0.0, 0.2, 0.3, 0.4, 0.9]),
        pd.DataFrame({"abstains on unanswerable": [0.0, 0.6, 0.6, 0.6], "lo": [0.0, 0.4, 0.4, 0.4], "hi": [0.15, 0.78, 0.78, 0.78],
                      "refuses answerable": [0.0, 0.05, 0.10, 0.14]}, index=[0.1, 0.25, 0.3, 0.35]),
    ]
    for table in tables:
        allowed = table[table["refuses answerable"] <= 0.15]
        choice = _call_case(fn, f"choose_threshold(<dev table, thresholds {list(table.index)}>)", table.copy(),
                            hint="Return one of the thresholds in the table's index.")
        if choice not in table.index:
            raise ExerciseError(f"return one of the thresholds in the table's index {list(table.index)}; got {choice!r}")
        row = table.loc[choice]
        if row["refuses answerable"] > 0.15:
            raise ExerciseError(f"threshold {choice} refuses {row['refuses answerable']:.0%} of answerable dev questions; the budget "
                                "is 15%. A system that refuses real questions is not a fix for answering unanswerable ones.")
        best = allowed["abstains on unanswerable"].max()
        if row["hi"] < best:
            raise ExerciseError(f"threshold {choice} abstains on {row['abstains on unanswerable']:.0%} of unanswerable dev questions, "
                                f"clearly less than {best:.0%} within the budget.")
        better = [t for t, r in allowed.iterrows() if t != choice and r["abstains on unanswerable"] >= row["abstains on unanswerable"]
                  and r["refuses answerable"] < row["refuses answerable"]]
        if better:
            raise ExerciseError(f"threshold {better[0]} abstains as often as {choice} and refuses fewer answerable questions.")
    _passed("choose_threshold", len(tables))


def check_raft_target(fn) -> None:
    """Notebook 09: ``fn(question, gold_doc_id)`` is the answer a retrieval-aware fine-tuning example trains towards:
    the gold answer citing its passage, or "I don't know." when the context lacks it (``gold_doc_id`` is None) or the
    question has no answer."""
    from .hybrid import IDK, raft_target

    q = {"id": "q1", "answer": "Finance Controller", "question": "who approves refunds over $5k?"}
    unanswerable = {"id": "q2", "answer": "", "question": "what is the CEO's shoe size?"}
    cases = [(q, "policy-refunds-v2"), (q, "billing-plans"), (q, None), (unanswerable, None), (unanswerable, "policy-refunds-v2")]
    for question, gold_id in cases:
        shown = f"raft_target({question!r}, {gold_id!r})"
        got = _call_case(fn, shown, question, gold_id, hint="Return a string.")
        want = raft_target(question, gold_id)
        if not isinstance(got, str) or " ".join(got.split()) != want:
            hint = ("Without the gold passage in the context (or without an answer at all) the target is exactly "
                    f"{IDK!r}: the model must learn to decline." if want == IDK else
                    "The target is the gold answer followed by the id of the passage that holds it, in square brackets, "
                    "like 'Finance Controller [policy-refunds-v2]'.")
            raise ExerciseError(f"{shown}\n  expected {want!r}\n  got      {got!r}\n{hint}")
    _passed("raft_target", len(cases))


def check_leaked_ids(fn) -> None:
    """Notebook 09: ``fn(training_rows, test_questions)`` lists (sorted) the ids of training rows that leak the test
    split: a row whose id is a test question's id, or whose question is a test question's text up to case and spaces."""
    test = [{"id": "q001", "question": "Who approves refunds over $5k?"}, {"id": "q002", "question": "How long is the trial?"}]
    cases = [
        ([{"id": "q101", "question": "What does Team cost?"}], []),
        ([{"id": "q001", "question": "something else"}, {"id": "q102", "question": "What does Team cost?"}], ["q001"]),
        ([{"id": "q103", "question": "how long is   the TRIAL?"}, {"id": "q104", "question": "How long is the trial period?"}], ["q103"]),
        ([{"id": "x9", "question": "Who approves refunds over $5k?"}, {"id": "q002", "question": "How long is the trial?"}], ["q002", "x9"]),
        ([], []),
    ]
    for rows, want in cases:
        shown = f"leaked_ids({rows!r}, <2 test questions>)"
        got = _call_case(fn, shown, [dict(r) for r in rows], [dict(t) for t in test], hint="Return a sorted list of ids.")
        if list(got) != want:
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {list(got)}\nHint: a row leaks when its id is a test id "
                                "or its question, lower-cased with runs of spaces made one, equals a test question's. "
                                "Only those rows; sorted.")
    _passed("leaked_ids", len(cases))


def check_choose_rung(fn) -> None:
    """Notebook 09 (open-ended): ``fn(table)`` picks the rung of the ladder to ship from a table indexed by rung, with
    columns ``contains`` (share of answerable questions), ``lo``, ``hi`` and ``median latency (s)``."""
    import pandas as pd

    tables = [
        pd.DataFrame({"contains": [0.05, 0.20, 0.03, 0.25, 0.55], "lo": [0.0, 0.1, 0.0, 0.13, 0.4],
                      "hi": [0.15, 0.35, 0.12, 0.4, 0.7], "median latency (s)": [0.8, 1.5, 0.9, 1.6, 1.2]},
                     index=["1 base", "2 base + RAG", "3 triage LoRA", "4 triage LoRA + RAG", "5 RAFT"]),
        pd.DataFrame({"contains": [0.10, 0.50, 0.48], "lo": [0.02, 0.35, 0.33], "hi": [0.25, 0.65, 0.63],
                      "median latency (s)": [0.5, 1.5, 0.9]}, index=["alone", "with RAG", "RAFT"]),
    ]
    _check_pareto_choice(fn, "choose_rung", tables, "median latency (s)", "rung")


def check_cost_per_1000_queries(fn) -> None:
    """Notebook 10: ``fn(seconds_per_query, price_per_hour)`` is the hardware cost of 1,000 queries."""
    from .decision import cost_per_1000_queries

    cases = [(1.8, 0.35), (0.04, 0.10), (3600.0, 1.0), (0.0, 5.0), (2.5, 0.0)]
    _compare_numbers("cost_per_1000_queries", fn, cost_per_1000_queries, cases,
                     hint="A query keeps the machine busy seconds_per_query seconds; an hour is 3,600 seconds and costs "
                          "price_per_hour; then multiply by 1,000 queries.")


def check_break_even_queries(fn) -> None:
    """Notebook 10: ``fn(training_cost, cost_per_query_without, cost_per_query_with)`` is the number of queries after
    which a fine-tuned system that is cheaper per query has paid for its training."""
    import math

    from .decision import break_even_queries

    cases = [(0.02, 0.0005, 0.0003), (1.0, 0.001, 0.0004), (5.0, 0.002, 0.002), (5.0, 0.001, 0.003), (0.0, 0.001, 0.0005),
             (10.0, 0.01, 0.0)]
    for args in cases:
        shown = f"break_even_queries{args}"
        got, want = _call_case(fn, shown, *args, hint="Return a number (math.inf when it never pays back)."), break_even_queries(*args)
        if not isinstance(got, (int, float)) or not (got == want or (math.isfinite(want) and abs(got - want) < 1e-9)):
            hint = ("A system that is not cheaper per query never pays its training back: return math.inf." if math.isinf(want)
                    else "Divide the training cost by the saving per query, and round up: a fraction of a query is not served.")
            raise ExerciseError(f"{shown}\n  expected {want}\n  got      {got!r}\n{hint}")
    _passed("break_even_queries", len(cases))


def check_my_rules(fn) -> None:
    """Notebook 10 (open-ended): ``fn(use_case)`` returns "RAG", "fine-tune", "both" or "prompt the base model" for a
    ``ragft.decision.UseCase``. Many rules are defensible; this check holds yours only to what the course measured:
    changing facts or required citations need retrieval, a strict format with hundreds of examples is worth
    fine-tuning, and a task with neither needs neither."""
    from .decision import ANSWERS, UseCase

    with_rag, with_tuning = {"RAG", "both"}, {"fine-tune", "both"}
    cases = [
        (UseCase(knowledge=True, facts_change=True), with_rag, "facts that change need retrieval: fine-tuned facts went stale (08)"),
        (UseCase(knowledge=True, must_cite=True, examples=10), with_rag, "citing a source needs the source in the prompt"),
        (UseCase(knowledge=False, strict_format=True, examples=600), with_tuning,
         "a strict format with 600 examples: fine-tuning raised schema-valid JSON the most (07)"),
        (UseCase(knowledge=True, facts_change=True, strict_format=True, examples=800), {"both"},
         "changing facts and a strict format with 800 examples: each need is met by a different method"),
        (UseCase(knowledge=False, strict_format=False, examples=0), {"prompt the base model"},
         "no private knowledge and no format: neither retrieval nor training has anything to add"),
        (UseCase(knowledge=False, strict_format=True, examples=5), {"prompt the base model", "RAG"},
         "5 examples are too few to fine-tune; try constrained decoding or few-shot prompts first"),
    ]
    for use_case, allowed, why in cases:
        got = _call_case(fn, f"my_rules({use_case})", use_case, hint=f"Return one of {ANSWERS}.")
        if got not in ANSWERS:
            raise ExerciseError(f"my_rules({use_case}) returned {got!r}; return one of {ANSWERS}")
        if got not in allowed:
            raise ExerciseError(f"my_rules({use_case})\n  got {got!r}; this case allows {sorted(allowed)}: {why}")
    _passed("my_rules", len(cases))
