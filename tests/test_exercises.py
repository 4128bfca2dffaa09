"""Every exercise check fails on the workbook stub and on plausible wrong answers, and passes on
the solution. Exercise cells are self-contained functions, so each runs in a fresh namespace."""
import re

import pytest

from notebook_tools import SOLUTIONS, exercises, stub_source
from ragft.checks import ExerciseError

PREAMBLE = "import json\nimport numpy as np\nfrom ragft import checks\nfrom ragft.metrics import normalize_answer\n"
LORA_HEAD = "import torch\nfrom torch import nn\nclass LoRALinear(nn.Module):\n    def __init__(self, base, r, alpha):\n        super().__init__()\n"

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
    "check_lora_linear": [
        # scales by alpha, not alpha / r
        LORA_HEAD + "        self.base, self.scale = base, alpha\n        for p in base.parameters(): p.requires_grad_(False)\n"
        "        self.A = nn.Parameter(torch.randn(r, base.in_features))\n        self.B = nn.Parameter(torch.zeros(base.out_features, r))\n"
        "    def forward(self, x):\n        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)",
        # B random too: the model changes before any training
        LORA_HEAD + "        self.base, self.scale = base, alpha / r\n        for p in base.parameters(): p.requires_grad_(False)\n"
        "        self.A = nn.Parameter(torch.randn(r, base.in_features))\n        self.B = nn.Parameter(torch.randn(base.out_features, r))\n"
        "    def forward(self, x):\n        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)",
        # forgets to freeze the base
        LORA_HEAD + "        self.base, self.scale = base, alpha / r\n"
        "        self.A = nn.Parameter(torch.randn(r, base.in_features))\n        self.B = nn.Parameter(torch.zeros(base.out_features, r))\n"
        "    def forward(self, x):\n        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)",
        # both zero: no gradient ever flows
        LORA_HEAD + "        self.base, self.scale = base, alpha / r\n        for p in base.parameters(): p.requires_grad_(False)\n"
        "        self.A = nn.Parameter(torch.zeros(r, base.in_features))\n        self.B = nn.Parameter(torch.zeros(base.out_features, r))\n"
        "    def forward(self, x):\n        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)",
        # products in the wrong order: a shape error
        LORA_HEAD + "        self.base, self.scale = base, alpha / r\n        for p in base.parameters(): p.requires_grad_(False)\n"
        "        self.A = nn.Parameter(torch.randn(r, base.in_features))\n        self.B = nn.Parameter(torch.zeros(base.out_features, r))\n"
        "    def forward(self, x):\n        return self.base(x) + self.scale * (x @ self.B @ self.A)",
    ],
    "check_kb_precision_recall": [
        # macro-average: the mean of per-ticket scores
        "def kb_precision_recall(gold, predicted):\n    ps, rs = [], []\n    for g, p in zip(gold, predicted):\n"
        "        g, p = set(g), set(p or [])\n        ps.append(len(g & p) / len(p) if p else 1.0)\n        rs.append(len(g & p) / len(g) if g else 1.0)\n"
        "    return sum(ps) / len(ps), sum(rs) / len(rs)",
        # crashes on an unparseable answer (None)
        "def kb_precision_recall(gold, predicted):\n    h = sum(len(set(g) & set(p)) for g, p in zip(gold, predicted))\n"
        "    c, w = sum(len(p) for p in predicted), sum(len(g) for g in gold)\n    return h / c, h / w",
        # an empty denominator scores a perfect 1.0
        "def kb_precision_recall(gold, predicted):\n    h = c = w = 0\n    for g, p in zip(gold, predicted):\n"
        "        g, p = set(g), set(p or [])\n        h, c, w = h + len(g & p), c + len(p), w + len(g)\n"
        "    return (h / c if c else 1.0), (h / w if w else 1.0)",
        # precision and recall swapped
        "def kb_precision_recall(gold, predicted):\n    h = c = w = 0\n    for g, p in zip(gold, predicted):\n"
        "        g, p = set(g), set(p or [])\n        h, c, w = h + len(g & p), c + len(p), w + len(g)\n"
        "    return (h / w if w else float('nan')), (h / c if c else float('nan'))",
    ],
    "check_training_steps": [
        # always the last step, even after the validation loss turned up
        "def choose_training_steps(validation):\n    return validation[-1][0]",
        # the first step: min() of (step, loss) pairs compares steps
        "def choose_training_steps(validation):\n    return min(validation)[0]",
        # returns the best loss, not its step
        "def choose_training_steps(validation):\n    return min(loss for _, loss in validation)",
    ],
    "check_stated_version": [
        # raw substrings: "$290" states "$29"
        "def stated_version(text, fact):\n    old = any(v.lower() in text.lower() for v in fact['old']['values'])\n"
        "    new = any(v.lower() in text.lower() for v in fact['new']['values'])\n"
        "    return 'both' if old and new else 'old' if old else 'new' if new else 'neither'",
        # whole words but no normalisation: misses "FOURTEEN DAYS" and "14-day"
        "def stated_version(text, fact):\n    t = f' {text} '\n    old = any(f' {v} ' in t for v in fact['old']['values'])\n"
        "    new = any(f' {v} ' in t for v in fact['new']['values'])\n"
        "    return 'both' if old and new else 'old' if old else 'new' if new else 'neither'",
        # never says both
        "def stated_version(text, fact):\n    t = f' {normalize_answer(text)} '\n"
        "    if any(f' {normalize_answer(v)} ' in t for v in fact['new']['values']): return 'new'\n"
        "    if any(f' {normalize_answer(v)} ' in t for v in fact['old']['values']): return 'old'\n    return 'neither'",
    ],
    "check_forgetting_rate": [
        # divides by every item, not the ones known before
        "def forgetting_rate(before, after):\n    if len(before) != len(after) or not any(before): raise ValueError\n"
        "    return sum(b and not a for b, a in zip(before, after)) / len(before)",
        # net change: new right answers cancel forgotten ones
        "def forgetting_rate(before, after):\n    if len(before) != len(after) or not any(before): raise ValueError\n"
        "    return max(0.0, (sum(before) - sum(after)) / sum(before))",
        # right number, no validation (zip silently drops items)
        "def forgetting_rate(before, after):\n    known = [a for b, a in zip(before, after) if b]\n"
        "    return sum(not a for a in known) / max(1, len(known))",
    ],
    "check_choose_epochs": [
        # always the fewest epochs
        "def choose_epochs(table):\n    return min(table)",
        # always the most epochs
        "def choose_epochs(table):\n    return max(table)",
        # returns the row, not the number of epochs
        "def choose_epochs(table):\n    return max(table.values(), key=lambda v: v['facts'])",
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
            defined = re.search(r"^(?:def|class) (\w+)", wrong, re.M).group(1)
            run(wrong, f"checks.{name}({defined})")


def test_every_check_in_the_notebooks_has_wrong_answers():
    used = {name for _, _, check in CASES for name in check_names(check)}
    assert used and used <= set(WRONG_ANSWERS), used - set(WRONG_ANSWERS)
