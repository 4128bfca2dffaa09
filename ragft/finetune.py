"""Preparing chat-format fine-tuning data (taught in notebook 06): row checks with clear errors,
loss masks on the assistant's tokens, near-duplicate detection, a stratified validation split."""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

from .data import check_messages_row, load_jsonl
from .kb import DataError
from .models import DEFAULT_GENERATOR
from .triage import schema_errors

#: SmolLM2's chat template with ``{% generation %}`` markers around what the assistant writes
#: (its content and the closing <|im_end|>), so ``return_assistant_tokens_mask=True`` and trl's
#: ``assistant_only_loss`` can find the tokens to learn. It renders exactly the same text as the
#: original template; only the markers are new.
TRAINING_TEMPLATES = {
    DEFAULT_GENERATOR: (
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
        "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
        "{% endif %}{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}"
        "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
        "{% else %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    ),
}
IGNORE_INDEX = -100  # the label value PyTorch's cross-entropy skips


def chat_row_problems(row, schema_check: bool = True) -> list[str]:
    """Every problem with one chat-format training row, as readable strings (empty when valid).

    A row is a dict with a ``messages`` list of role/content turns ending with the assistant's;
    with ``schema_check``, the assistant's content must be JSON that follows the triage schema.
    """
    if not isinstance(row, dict):
        return [f"a row must be a JSON object, not {type(row).__name__}"]
    problems = check_messages_row(row)
    if problems or not schema_check:
        return problems
    try:
        answer = json.loads(row["messages"][-1]["content"])
    except json.JSONDecodeError as exc:
        return [f"{row.get('id', '?')}: the assistant's answer is not valid JSON ({exc.msg})"]
    if not isinstance(answer, dict):
        return [f"{row.get('id', '?')}: the assistant's answer must be a JSON object"]
    return [f"{row.get('id', '?')}: {e}" for e in schema_errors(answer)]


def validate_chat_file(path: Path | str, schema_check: bool = True) -> int:
    """Check every row of a JSONL file; raise :class:`DataError` listing each bad row (file, line, problem).

    Returns the number of rows when all are valid.
    """
    rows = load_jsonl(path)  # names the file and line of a line that is not JSON
    bad = [f"{Path(path).name}, row {i}: {p}" for i, row in enumerate(rows, start=1) for p in chat_row_problems(row, schema_check)]
    if bad:
        raise DataError(f"{len(bad)} problem(s) in {path}:\n  " + "\n  ".join(bad[:20]) + ("\n  ..." if len(bad) > 20 else ""))
    return len(rows)


def mask_prompt_labels(input_ids: list[int], prompt_length: int) -> list[int]:
    """Labels for training on the answer only: the first ``prompt_length`` tokens become -100.

    The model still reads the whole sequence; it is only scored (and so only learns) on the
    tokens after the prompt, the answer it should write.
    """
    if not 0 <= prompt_length <= len(input_ids):
        raise ValueError(f"prompt_length {prompt_length} is outside 0..{len(input_ids)}")
    return [IGNORE_INDEX] * prompt_length + list(input_ids[prompt_length:])


_WORDS = re.compile(r"[a-z0-9]+")


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """The set of ``n``-word runs in a lowercased text (a short text gives itself as one run)."""
    words = _WORDS.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicates(texts: list[str], threshold: float = 0.8, n: int = 5) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` of texts whose ``n``-word shingle sets overlap at least ``threshold``."""
    sets = [shingles(t, n) for t in texts]
    index = defaultdict(set)
    for i, s in enumerate(sets):
        for gram in s:
            index[gram].add(i)
    pairs = []
    for i, s in enumerate(sets):
        candidates = {j for gram in s for j in index[gram] if j > i}
        for j in sorted(candidates):
            jaccard = len(s & sets[j]) / len(s | sets[j])
            if jaccard >= threshold:
                pairs.append((i, j, jaccard))
    return pairs


def split_train_validation(rows: list[dict], fraction: float, key, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Split ``rows`` into train and validation, stratified by ``key(row)``, with a fixed seed.

    Each stratum gives ``round(fraction * size)`` rows to validation (at least one when it has
    two or more), so rare labels appear in both parts. Both parts keep the input order.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    strata = defaultdict(list)
    for i, row in enumerate(rows):
        strata[key(row)].append(i)
    rng = random.Random(seed)
    chosen = set()
    for stratum in sorted(strata, key=str):
        members = strata[stratum]
        k = round(fraction * len(members)) or (1 if len(members) >= 2 else 0)
        chosen.update(rng.sample(members, k))
    return [r for i, r in enumerate(rows) if i not in chosen], [r for i, r in enumerate(rows) if i in chosen]
