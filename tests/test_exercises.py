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
    "check_pack_sentences": [
        # overlap ignored
        "def pack_sentences(sentences, max_words, overlap=0):\n    chunks, cur = [], []\n    for s in sentences:\n"
        "        if cur and sum(len(x.split()) for x in cur) + len(s.split()) > max_words:\n            chunks.append('\\n'.join(cur)); cur = []\n"
        "        cur.append(s)\n    if cur: chunks.append('\\n'.join(cur))\n    return chunks",
        # lets a chunk go over max_words by one sentence
        "def pack_sentences(sentences, max_words, overlap=0):\n    chunks, start = [], 0\n    while start < len(sentences):\n"
        "        end, words = start, 0\n        while end < len(sentences) and words <= max_words:\n            words += len(sentences[end].split()); end += 1\n"
        "        chunks.append('\\n'.join(sentences[start:end]))\n        if end == len(sentences): break\n        start = max(end - overlap, start + 1)\n    return chunks",
        # joins with spaces, so tables lose their rows
        "def pack_sentences(sentences, max_words, overlap=0):\n    from ragft.chunking import pack_sentences as ref\n"
        "    return [c.replace('\\n', ' ') for c in ref(sentences, max_words, overlap)]",
        # never moves forward when the overlap covers the whole chunk (stopped by the time limit)
        "def pack_sentences(sentences, max_words, overlap=0):\n    chunks, start = [], 0\n    while start < len(sentences):\n"
        "        end, words = start, 0\n        while end < len(sentences) and (end == start or words + len(sentences[end].split()) <= max_words):\n"
        "            words += len(sentences[end].split()); end += 1\n        chunks.append('\\n'.join(sentences[start:end]))\n"
        "        if end == len(sentences): break\n        start = end - overlap\n    return chunks",
    ],
    "check_split_by_headings": [
        # only level-2 headings
        "def split_by_headings(text):\n    import re\n    parts = re.split(r'\\n(?=## )', text)\n    return [p.strip() for p in parts if p.strip()]",
        # drops the text before the first heading
        "def split_by_headings(text):\n    from ragft.chunking import split_by_headings as ref\n    s = ref(text)\n"
        "    return s[1:] if s and not s[0].startswith('#') else s",
        # '#hashtag' lines count as headings
        "def split_by_headings(text):\n    import re\n    parts = re.split(r'\\n(?=#)', text)\n    return [p.strip() for p in parts if p.strip()]",
        # keeps empty sections
        "def split_by_headings(text):\n    import re\n    return [p.strip() for p in re.split(r'\\n(?=#{1,6} )', text)]",
        # takes a '# comment' inside a code block for a heading
        "def split_by_headings(text):\n    import re\n    sections, cur = [], []\n    for line in text.splitlines():\n"
        "        if re.match(r'^#{1,6}\\s', line) and cur:\n            sections.append('\\n'.join(cur).strip()); cur = []\n"
        "        cur.append(line)\n    sections.append('\\n'.join(cur).strip())\n    return [x for x in sections if x]",
    ],
    "check_choose_chunking": [
        # the smallest index, whatever its quality
        "def choose_chunking(table):\n    return table['index MB'].idxmin()",
        # a row number, not a name
        "def choose_chunking(table):\n    return int(table['nDCG@10'].values.argmax())",
        # keeps the first row (the baseline), whatever the table says
        "def choose_chunking(table):\n    return table.index[0]",
    ],
    "check_bm25_scores": [
        # no document-length normalisation (b ignored)
        "def bm25_scores(query_terms, docs_terms, k1=1.2, b=0.75):\n    import math\n    n = len(docs_terms)\n    out = [0.0] * n\n"
        "    for t in set(query_terms):\n        df = sum(t in d for d in docs_terms)\n        if not df: continue\n"
        "        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))\n        for i, d in enumerate(docs_terms):\n"
        "            tf = d.count(t); out[i] += idf * tf / (tf + k1)\n    return out",
        # repeated query terms counted twice
        "def bm25_scores(query_terms, docs_terms, k1=1.2, b=0.75):\n    from ragft.checks import bm25_reference\n"
        "    return sum(bm25_reference([t], docs_terms, k1, b) for t in query_terms)",
        # classic idf log(N / df), which can go negative for common terms
        "def bm25_scores(query_terms, docs_terms, k1=1.2, b=0.75):\n    import math\n    n = len(docs_terms); avg = sum(map(len, docs_terms)) / n\n"
        "    out = [0.0] * n\n    for t in set(query_terms):\n        df = sum(t in d for d in docs_terms)\n        if not df: continue\n"
        "        idf = math.log(n / df)\n        for i, d in enumerate(docs_terms):\n            tf = d.count(t)\n"
        "            out[i] += idf * tf / (tf + k1 * (1 - b + b * len(d) / avg))\n    return out",
    ],
    "check_reciprocal_rank_fusion": [
        # ranks from 0
        "def reciprocal_rank_fusion(rankings, k=60):\n    f = {}\n    for r in rankings:\n        for i, d in enumerate(r):\n"
        "            f[d] = f.get(d, 0) + 1 / (k + i)\n    return dict(sorted(f.items(), key=lambda x: -x[1]))",
        # keeps the best single score instead of the sum
        "def reciprocal_rank_fusion(rankings, k=60):\n    f = {}\n    for r in rankings:\n        for i, d in enumerate(r, 1):\n"
        "            f[d] = max(f.get(d, 0), 1 / (k + i))\n    return dict(sorted(f.items(), key=lambda x: -x[1]))",
        # right scores, not sorted
        "def reciprocal_rank_fusion(rankings, k=60):\n    f = {}\n    for r in rankings:\n        for i, d in enumerate(r, 1):\n"
        "            f[d] = f.get(d, 0) + 1 / (k + i)\n    return dict(sorted(f.items(), key=lambda x: x[1]))",
    ],
    "check_choose_rerank_depth": [
        # always the deepest
        "def choose_rerank_depth(table):\n    return max(table.index)",
        # never rerank
        "def choose_rerank_depth(table):\n    return 0",
        # the fastest, whatever it costs in quality... or a depth not in the table
        "def choose_rerank_depth(table):\n    return 15",
    ],
    "check_valid_on": [
        # valid_until inclusive
        "def valid_on(day):\n    from qdrant_client import models\n    from ragft.vectorstore import day_number\n    n = day_number(day)\n"
        "    return models.Filter(must=[models.FieldCondition(key='valid_from_int', range=models.Range(lte=n)),\n"
        "                               models.FieldCondition(key='valid_until_int', range=models.Range(gte=n))])",
        # only the start date
        "def valid_on(day):\n    from qdrant_client import models\n    from ragft.vectorstore import day_number\n"
        "    return models.Filter(must=[models.FieldCondition(key='valid_from_int', range=models.Range(lte=day_number(day)))])",
        # 'should' (any) instead of 'must' (all)
        "def valid_on(day):\n    from qdrant_client import models\n    from ragft.vectorstore import day_number\n    n = day_number(day)\n"
        "    return models.Filter(should=[models.FieldCondition(key='valid_from_int', range=models.Range(lte=n)),\n"
        "                                 models.FieldCondition(key='valid_until_int', range=models.Range(gt=n))])",
        # a dict, not a Filter
        "def valid_on(day):\n    return {'valid_from': day}",
    ],
    "check_prefer_in_force": [
        # drops the stale hits instead of moving them down
        "def prefer_in_force(hits, day):\n    from ragft.vectorstore import in_force\n    return [h for h in hits if in_force(h, day)]",
        # stale first
        "def prefer_in_force(hits, day):\n    from ragft.vectorstore import in_force\n    return sorted(hits, key=lambda h: in_force(h, day))",
        # until treated as inclusive
        "def prefer_in_force(hits, day):\n    from ragft.vectorstore import day_number\n    n = day_number(day)\n"
        "    return sorted(hits, key=lambda h: not (h['valid_from_int'] <= n <= h['valid_until_int']))",
    ],
    "check_choose_top_k": [
        # the most context, whatever it costs
        "def choose_top_k(table):\n    return max(table.index)",
        # the cheapest, clearly worse
        "def choose_top_k(table):\n    return min(table.index)",
        # a k that was not measured
        "def choose_top_k(table):\n    return 3 if 3 not in table.index else 10",
    ],
    "check_support_ratio": [
        # no normalisation: case and punctuation break matches
        "def support_ratio(answer, context):\n    from ragft.rag_eval import STOPWORDS\n    w = set(answer.split()) - STOPWORDS\n"
        "    return 1.0 if not w else len(w & set(context.split())) / len(w)",
        # stop words kept
        "def support_ratio(answer, context):\n    import re\n    w = set(normalize_answer(re.sub(r'\\[[^]]*\\]', ' ', answer)).split())\n"
        "    return 1.0 if not w else len(w & set(normalize_answer(context).split())) / len(w)",
        # counts repeated words each time
        "def support_ratio(answer, context):\n    import re\n    from ragft.rag_eval import STOPWORDS\n"
        "    w = [x for x in normalize_answer(re.sub(r'\\[[^]]*\\]', ' ', answer)).split() if x not in STOPWORDS]\n"
        "    c = set(normalize_answer(context).split())\n    return 1.0 if not w else sum(x in c for x in w) / len(w)",
        # cited ids left in, so every citation counts as unsupported
        "def support_ratio(answer, context):\n    from ragft.rag_eval import STOPWORDS\n    w = set(normalize_answer(answer).split()) - STOPWORDS\n"
        "    return 1.0 if not w else len(w & set(normalize_answer(context).split())) / len(w)",
    ],
    "check_citation_scores": [
        # an answer with no citation counted as citing only given sources
        "def citation_scores(answer, given_ids, gold_ids):\n    import re\n    c = set(re.findall(r'\\[([^]]+)\\]', answer))\n"
        "    return {'cites a source': bool(c), 'cites only given sources': c <= set(given_ids), 'cites a gold source': bool(c & set(gold_ids))}",
        # any given id cited is enough, invented ones ignored
        "def citation_scores(answer, given_ids, gold_ids):\n    import re\n    c = set(re.findall(r'\\[([^]]+)\\]', answer))\n"
        "    return {'cites a source': bool(c), 'cites only given sources': bool(c & set(given_ids)), 'cites a gold source': bool(c & set(gold_ids))}",
        # gold read from the given ids
        "def citation_scores(answer, given_ids, gold_ids):\n    import re\n    c = set(re.findall(r'\\[([^]]+)\\]', answer))\n"
        "    return {'cites a source': bool(c), 'cites only given sources': bool(c) and c <= set(given_ids), 'cites a gold source': bool(c & set(given_ids))}",
    ],
    "check_choose_threshold": [
        # abstain as much as possible, whatever it refuses
        "def choose_threshold(table):\n    return table['abstains on unanswerable'].idxmax()",
        # never abstain
        "def choose_threshold(table):\n    return table.index[0]",
        # within budget but not the cheapest of the equally good
        "def choose_threshold(table):\n    ok = table[table['refuses answerable'] <= 0.15]\n"
        "    best = ok[ok['abstains on unanswerable'] == ok['abstains on unanswerable'].max()]\n    return best['refuses answerable'].idxmax()",
    ],
    "check_raft_target": [
        # always answers, even when the gold passage is not in the context
        "def raft_target(question, gold_doc_id):\n    return f\"{question['answer']} [{gold_doc_id}]\" if question['answer'] else \"I don't know.\"",
        # no citation
        "def raft_target(question, gold_doc_id):\n    return question['answer'] if gold_doc_id and question['answer'] else \"I don't know.\"",
        # declines differently from the evaluation's phrase
        "def raft_target(question, gold_doc_id):\n    return f\"{question['answer']} [{gold_doc_id}]\" if gold_doc_id and question['answer'] else 'Not in the context.'",
        # cites for unanswerable questions too
        "def raft_target(question, gold_doc_id):\n    return \"I don't know.\" if gold_doc_id is None else f\"{question['answer']} [{gold_doc_id}]\"",
    ],
    "check_leaked_ids": [
        # ids only
        "def leaked_ids(rows, test_questions):\n    ids = {q['id'] for q in test_questions}\n    return sorted(r['id'] for r in rows if r['id'] in ids)",
        # exact text only
        "def leaked_ids(rows, test_questions):\n    t = {q['question'] for q in test_questions}\n    ids = {q['id'] for q in test_questions}\n"
        "    return sorted(r['id'] for r in rows if r['id'] in ids or r['question'] in t)",
        # lower-cased but spaces kept
        "def leaked_ids(rows, test_questions):\n    t = {q['question'].lower() for q in test_questions}\n    ids = {q['id'] for q in test_questions}\n"
        "    return sorted(r['id'] for r in rows if r['id'] in ids or r['question'].lower() in t)",
        # not sorted
        "def leaked_ids(rows, test_questions):\n    key = lambda x: ' '.join(x.lower().split())\n    ids = {q['id'] for q in test_questions}\n"
        "    t = {key(q['question']) for q in test_questions}\n    return [r['id'] for r in rows if r['id'] in ids or key(r['question']) in t]",
    ],
    "check_choose_rung": [
        # the fastest, whatever it answers
        "def choose_rung(table):\n    return table['median latency (s)'].idxmin()",
        # the best share, ignoring a faster rung that is as good
        "def choose_rung(table):\n    return table['contains'].idxmax() if len(table) == 3 else table.index[-2]",
        # always the last rung
        "def choose_rung(table):\n    return table.index[-1] if len(table) == 3 else table.index[1]",
    ],
    "check_cost_per_1000_queries": [
        # per query, not per 1,000
        "def cost_per_1000_queries(seconds_per_query, price_per_hour):\n    return seconds_per_query / 3600 * price_per_hour",
        # minutes instead of hours
        "def cost_per_1000_queries(seconds_per_query, price_per_hour):\n    return 1000 * seconds_per_query / 60 * price_per_hour",
        # price per second taken as price per hour
        "def cost_per_1000_queries(seconds_per_query, price_per_hour):\n    return 1000 * seconds_per_query * price_per_hour",
    ],
    "check_break_even_queries": [
        # not rounded up
        "def break_even_queries(training_cost, without, with_):\n    s = without - with_\n    return training_cost / s if s > 0 else float('inf')",
        # no guard: a system that is not cheaper gives a negative count or divides by zero
        "def break_even_queries(training_cost, without, with_):\n    import math\n    return math.ceil(training_cost / (without - with_))",
        # saving the wrong way round
        "def break_even_queries(training_cost, without, with_):\n    import math\n    s = with_ - without\n    return math.ceil(training_cost / s) if s > 0 else math.inf",
    ],
    "check_my_rules": [
        # fine-tune everything
        "def my_rules(use_case):\n    return 'fine-tune'",
        # RAG everything
        "def my_rules(use_case):\n    return 'RAG'",
        # fine-tunes on any format need, however few examples
        "def my_rules(use_case):\n    rag = use_case.knowledge or use_case.facts_change or use_case.must_cite\n"
        "    tune = use_case.strict_format\n    return 'both' if rag and tune else 'RAG' if rag else 'fine-tune' if tune else 'prompt the base model'",
        # ignores citations
        "def my_rules(use_case):\n    rag = use_case.facts_change\n    tune = use_case.strict_format and use_case.examples >= 100\n"
        "    return 'both' if rag and tune else 'RAG' if rag else 'fine-tune' if tune else 'prompt the base model'",
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


def test_a_failed_check_shows_only_its_message_in_jupyter():
    """IPython renders an ExerciseError as its message, without a traceback through ragft/checks.py."""
    from ragft.checks import ExerciseError, check_documents_per_category

    def stub(docs):
        raise NotImplementedError()

    with pytest.raises(ExerciseError) as err:
        check_documents_per_category(stub)
    shown = err.value._render_traceback_()
    assert len(shown) == 1 and "Not done yet" in shown[0] and "checks.py" not in shown[0]
