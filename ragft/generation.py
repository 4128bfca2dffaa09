"""Batched, greedy text generation with a chat model, with a progress bar."""
from __future__ import annotations

import torch
from tqdm import tqdm  # text bars: no widget dependency, same look in Jupyter and a terminal


def generate(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = 48, batch_size: int = 8, desc: str = "generating") -> list[str]:
    """Greedy answers for a list of chat conversations (each a list of role/content messages).

    Conversations are batched by prompt length (less padding, faster on CPU) and the answers
    are returned in the input order. Greedy decoding makes runs repeatable.
    """
    prompts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    lengths = [len(tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])
    answers: list[str] = [""] * len(prompts)
    with torch.inference_mode(), tqdm(total=len(prompts), desc=desc, unit="answer") as bar:
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            enc = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
            for i, row in zip(batch, out[:, enc.input_ids.shape[1]:]):
                answers[i] = tokenizer.decode(row, skip_special_tokens=True).strip()
            bar.update(len(batch))
    return answers
