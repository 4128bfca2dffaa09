"""Batched, greedy text generation with a chat model, with a progress bar."""
from __future__ import annotations

import torch
from tqdm import tqdm  # text bars: no widget dependency, same look in Jupyter and a terminal


def generate(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = 48, batch_size: int = 8,
             desc: str = "generating", logits_processors=None, json_only: bool = False, progress: bool = True) -> list[str]:
    """Greedy answers for a list of chat conversations (each a list of role/content messages).

    Conversations are batched by prompt length (less padding, faster on CPU) and the answers
    are returned in the input order. Greedy decoding makes runs repeatable.
    ``logits_processors``, if given, is called once per batch for a fresh list of logits processors
    (constrained decoding keeps per-sequence state, so a processor serves one batch only).
    ``json_only=True`` stops an answer as soon as it starts with anything but ``{``: it can never
    become one JSON object, so the rest is not worth generating (saves minutes on a CPU).
    ``progress=False`` hides the bar (for a caller that shows its own).
    """
    prompts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    lengths = [len(tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])
    answers: list[str] = [""] * len(prompts)
    with torch.inference_mode(), tqdm(total=len(prompts), desc=desc, unit="answer", disable=not progress) as bar:
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            enc = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            extra = {"logits_processor": logits_processors()} if logits_processors else {}
            if json_only:
                extra["stopping_criteria"] = [_NotJsonStop(tokenizer, enc.input_ids.shape[1])]
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id, **extra)
            for i, row in zip(batch, out[:, enc.input_ids.shape[1]:]):
                answers[i] = tokenizer.decode(row, skip_special_tokens=True).strip()
            bar.update(len(batch))
    return answers


class _NotJsonStop:
    """Stopping criterion: a sequence is finished once its answer starts with anything but ``{``."""

    def __init__(self, tokenizer, prompt_length: int):
        self.tokenizer, self.prompt_length = tokenizer, prompt_length

    def __call__(self, input_ids, scores, **kwargs):
        answers = self.tokenizer.batch_decode(input_ids[:, self.prompt_length:self.prompt_length + 4], skip_special_tokens=True)
        return torch.tensor([bool(a.strip()) and not a.strip().startswith("{") for a in answers], device=input_ids.device)


XGRAMMAR_INSTALL = "pip install --no-deps -r requirements-nodeps.txt   (xgrammar without its GPU-only triton dependency)"


def json_schema_processors(model, tokenizer, schema: dict):
    """A factory of logits processors that only let the model write JSON following ``schema``.

    Uses xgrammar: at each step it masks every token that could not continue a valid document.
    Pass the result as ``generate(..., logits_processors=...)``. The output is well-formed only if
    generation finishes within ``max_new_tokens``; validate it with jsonschema either way.
    """
    import json

    try:
        import xgrammar as xgr
        from xgrammar.contrib.hf import LogitsProcessor
    except ImportError as exc:
        raise ImportError(f"constrained decoding needs xgrammar ({exc}). Install it with:\n  {XGRAMMAR_INSTALL}") from None
    info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=model.config.vocab_size)
    compiled = xgr.GrammarCompiler(info).compile_json_schema(json.dumps(schema), any_whitespace=False)
    return lambda: [LogitsProcessor(compiled)]
