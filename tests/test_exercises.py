"""Every exercise check fails on the workbook stub and on plausible wrong answers, and passes on
the solution. Exercise cells are self-contained functions, so each runs in a fresh namespace."""
import re

import pytest

from notebook_tools import SOLUTIONS, exercises, stub_source
from ragft.checks import ExerciseError

PREAMBLE = "import json\nimport numpy as np\nfrom ragft import checks\nfrom ragft.metrics import normalize_answer\n"

# Plausible mistakes a learner makes, per check. Each must be caught.
WRONG_ANSWERS = {
    "check_documents_per_category": [
        "def documents_per_category(docs):\n    from collections import Counter\n    return dict(Counter(d.product for d in docs))",
        "def documents_per_category(docs):\n    return {d.category: 1 for d in docs}",
        "def documents_per_category(docs):\n    return [d.category for d in docs]",
    ],
    "check_chunk_words": [
        # no overlap: steps by size
        "def chunk_words(text, size, overlap=0):\n    w = text.split()\n    return [' '.join(w[i:i+size]) for i in range(0, len(w), size)]",
        # keeps a trailing chunk made only of overlap words
        "def chunk_words(text, size, overlap=0):\n    if overlap >= size: raise ValueError\n    w = text.split()\n    return [' '.join(w[i:i+size]) for i in range(0, len(w), size - overlap)]",
        # splits on characters, not words
        "def chunk_words(text, size, overlap=0):\n    if overlap >= size: raise ValueError\n    return [text[i:i+size] for i in range(0, len(text), size - overlap)] or []",
        # right chunks but never validates overlap
        "def chunk_words(text, size, overlap=0):\n    from ragft.chunking import chunk_words as ref\n    return ref(text, size, overlap) if overlap < size else [text]",
    ],
    "check_cosine_top_k": [
        # dot product without normalising
        "def cosine_top_k(query, matrix, k):\n    s = matrix @ query\n    top = np.argsort(-s)[:k]\n    return top, s[top]",
        # worst first
        "def cosine_top_k(query, matrix, k):\n    s = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))\n    top = np.argsort(s)[:k]\n    return top, s[top]",
        # normalises only the query
        "def cosine_top_k(query, matrix, k):\n    s = matrix @ (query / np.linalg.norm(query))\n    top = np.argsort(-s)[:k]\n    return top, s[top]",
    ],
    "check_recall_at_k": [
        # divides by k instead of the number of gold ids
        "def recall_at_k(retrieved_ids, gold_ids, k):\n    return len(set(gold_ids) & set(retrieved_ids[:k])) / k",
        # ignores k
        "def recall_at_k(retrieved_ids, gold_ids, k):\n    return len(set(gold_ids) & set(retrieved_ids)) / len(set(gold_ids))",
        # counts duplicates of one retrieved id twice
        "def recall_at_k(retrieved_ids, gold_ids, k):\n    return sum(r in gold_ids for r in retrieved_ids[:k]) / len(gold_ids)",
    ],
    "check_reciprocal_rank": [
        # ranks from 0 (and divides by zero-safe rank + 0)
        "def reciprocal_rank(retrieved_ids, gold_ids):\n    for i, d in enumerate(retrieved_ids):\n        if d in gold_ids: return 1 / (i + 2)\n    return 0.0",
        # uses the last gold id found
        "def reciprocal_rank(retrieved_ids, gold_ids):\n    r = 0.0\n    for i, d in enumerate(retrieved_ids, 1):\n        if d in gold_ids: r = 1 / i\n    return r",
        # returns the rank, not its reciprocal
        "def reciprocal_rank(retrieved_ids, gold_ids):\n    for i, d in enumerate(retrieved_ids, 1):\n        if d in gold_ids: return i\n    return 0.0",
    ],
    "check_token_f1": [
        # sets instead of multisets
        "def token_f1(prediction, gold):\n    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()\n    if not p or not g: return float(p == g)\n"
        "    s = len(set(p) & set(g))\n    return 0.0 if s == 0 else 2 * (s/len(p)) * (s/len(g)) / (s/len(p) + s/len(g))",
        # no normalisation
        "def token_f1(prediction, gold):\n    from collections import Counter\n    p, g = prediction.split(), gold.split()\n    if not p or not g: return float(p == g)\n"
        "    s = sum((Counter(p) & Counter(g)).values())\n    return 0.0 if s == 0 else 2 * (s/len(p)) * (s/len(g)) / (s/len(p) + s/len(g))",
        # recall only
        "def token_f1(prediction, gold):\n    from collections import Counter\n    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()\n    if not g: return float(not p)\n"
        "    return sum((Counter(p) & Counter(g)).values()) / len(g)",
    ],
    "check_failure_labels": [
        # a list, not a dict
        "def my_failure_labels():\n    return ['wrong'] * 15",
        # names that are not failure modes
        "def my_failure_labels():\n    return {f'q{i:03d}': 'bad answer' for i in range(1, 16)}",
        # one label copied onto every answer
        "def my_failure_labels():\n    return {f'q{i:03d}': 'wrong' for i in range(1, 16)}",
        # made-up ids
        "def my_failure_labels():\n    return {f'answer {i}': 'wrong' if i % 2 else 'loops' for i in range(15)}",
        # only three answers labelled
        "def my_failure_labels():\n    return {'q001': 'wrong', 'q002': 'loops', 'q003': 'correct'}",
    ],
    "check_row_problems": [
        # never finds a problem
        "def row_problems(row, schema_errors):\n    return []",
        # checks the structure but never parses the answer
        "def row_problems(row, schema_errors):\n    if not isinstance(row.get('messages'), list) or not row['messages']: return ['no messages']\n"
        "    if row['messages'][-1].get('role') != 'assistant': return ['not assistant']\n    return []",
        # parses the answer without catching invalid JSON (crashes)
        "def row_problems(row, schema_errors):\n    msgs = row.get('messages') or []\n    if not msgs or msgs[-1].get('role') != 'assistant': return ['bad']\n"
        "    return list(schema_errors(json.loads(msgs[-1]['content'])))",
        # ignores empty turns and unknown roles
        "def row_problems(row, schema_errors):\n    msgs = row.get('messages') or []\n    if not msgs or msgs[-1].get('role') != 'assistant': return ['bad']\n"
        "    try: a = json.loads(msgs[-1]['content'])\n    except ValueError: return ['not json']\n    return list(schema_errors(a)) if isinstance(a, dict) else ['not an object']",
    ],
    "check_mask_prompt_labels": [
        # off by one: masks one answer token too
        "def mask_prompt_labels(input_ids, prompt_length):\n    return [-100] * (prompt_length + 1) + list(input_ids[prompt_length + 1:])",
        # masks the answer instead of the prompt
        "def mask_prompt_labels(input_ids, prompt_length):\n    return list(input_ids[:prompt_length]) + [-100] * (len(input_ids) - prompt_length)",
        # right labels, no validation of prompt_length
        "def mask_prompt_labels(input_ids, prompt_length):\n    return ([-100] * prompt_length + list(input_ids[prompt_length:]))[:len(input_ids)]",
    ],
    "check_max_length": [
        # the median: half the answers would be cut
        "def choose_max_length(lengths):\n    return int(np.median(lengths))",
        # a habit from bigger models, far beyond any example
        "def choose_max_length(lengths):\n    return 8192",
        # not a number
        "def choose_max_length(lengths):\n    return 'long enough'",
    ],
}

CASES = [(solution.stem, exercise, check) for solution in SOLUTIONS for exercise, check in exercises(solution)]


def run(exercise_source, check_source):
    namespace = {}
    exec(PREAMBLE + exercise_source, namespace)
    exec(check_source, namespace)


def check_names(check_source):
    return re.findall(r"checks\.(check_\w+)\(", check_source)


@pytest.mark.parametrize("notebook, exercise, check", CASES, ids=[f"{c[0]}-{check_names(c[2])}" for c in CASES])
def test_solution_passes_stub_fails(notebook, exercise, check):
    assert check_names(check), f"the cell after an exercise in {notebook} must call a check"
    run(exercise, check)
    with pytest.raises(ExerciseError, match="Not done yet"):
        run(stub_source(exercise), check)


@pytest.mark.parametrize("name", sorted(WRONG_ANSWERS))
def test_wrong_answers_are_caught(name):
    for wrong in WRONG_ANSWERS[name]:
        with pytest.raises(ExerciseError):
            run(wrong, f"checks.{name}({wrong.split('def ')[1].split('(')[0]})")


def test_every_check_in_the_notebooks_has_wrong_answers():
    used = {name for _, _, check in CASES for name in check_names(check)}
    assert used and used <= set(WRONG_ANSWERS), used - set(WRONG_ANSWERS)
