"""Reranking with a cross-encoder, taught in notebook 03 and used again on SciFact in notebook 05.

A cross-encoder reads a query and a passage together and outputs one relevance score. It is slower than
comparing embeddings, so it only reorders the top few candidates of a fast retriever. No pretrained reranker
can be downloaded on the course's offline machines. Instead, :func:`train_cross_encoder` trains one from
the shipped MiniLM weights on ``(query, passage, label)`` examples, and caches it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .paths import cache_dir

DEFAULT_BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PRETRAINED_RERANKER = "cross-encoder/ms-marco-MiniLM-L-6-v2"
#: Bump when training changes in a way the settings do not capture, so cached rerankers are rebuilt.
TRAINING_VERSION = 2  # 2: mean-pooling head on embedder checkpoints
INFO_FILE = "ragft_reranker.json"


class _DropExpected(logging.Filter):
    """Drops log records that contain any of ``fragments``, and keeps every other record."""

    def __init__(self, *fragments: str):
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f in message for f in self.fragments)


@contextlib.contextmanager
def _quiet_fresh_head():
    """Hides the two expected messages that come from turning the MiniLM *embedder* into a cross-encoder.

    sentence-transformers warns "Converting SentenceTransformer model ... to CrossEncoder", and transformers prints a
    "LOAD REPORT" warning that ``classifier.weight``/``classifier.bias`` are MISSING and newly initialised. Both are
    what we ask for: a fresh scoring head, which training then fits. Only records with those texts are dropped,
    only from those two loggers, and only while the model is built. Any other warning still shows.
    """
    targets = [
        (logging.getLogger("sentence_transformers.base.model"), _DropExpected("to CrossEncoder")),
        (logging.getLogger("transformers.modeling_utils"), _DropExpected("LOAD REPORT")),
    ]
    for logger, f in targets:
        logger.addFilter(f)
    try:
        yield
    finally:
        for logger, f in targets:
            logger.removeFilter(f)


def reranker_key(examples: list[tuple[str, str, float]], settings: dict) -> str:
    """Returns the first 12 hex digits of the sha256 of the training settings and examples. Any change gives a new key."""
    digest = hashlib.sha256()
    digest.update(json.dumps({**settings, "version": TRAINING_VERSION}, sort_keys=True).encode())
    for query, passage, label in examples:
        digest.update(json.dumps([query, passage, float(label)]).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:12]


def _check_examples(examples) -> list[tuple[str, str, float]]:
    checked = []
    for i, example in enumerate(examples):
        if len(example) != 3:
            raise ValueError(f"example {i} is not (query, passage, label): {example!r}")
        query, passage, label = example
        if not isinstance(query, str) or not isinstance(passage, str) or not query.strip() or not passage.strip():
            raise ValueError(f"example {i}: query and passage must be non-empty text")
        if float(label) not in (0.0, 1.0):
            raise ValueError(f"example {i}: label must be 1.0 (relevant) or 0.0 (not relevant), got {label!r}")
        checked.append((query, passage, float(label)))
    labels = {label for _, _, label in checked}
    if labels != {0.0, 1.0}:
        raise ValueError("a reranker needs both relevant (1.0) and non-relevant (0.0) examples")
    return checked


def _load(path: Path):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(path), device="cpu")


def new_cross_encoder(path: str | Path, max_length: int = 256):
    """Returns an untrained cross-encoder built from the model folder ``path``, with a new one-output scoring head.

    For a sentence-transformers *embedder* folder, such as the shipped MiniLM, the score is a linear layer on the
    mean of the output token vectors. That mean is what the embedder was trained to make meaningful. Its [CLS]
    vector was never trained, so a [CLS] head barely learns from a few hundred examples: we measured that such
    a head on SciFact stays at the label prior. For any other folder (a plain transformers checkpoint), the
    usual ``CrossEncoder(path, num_labels=1)`` classification head is used.
    """
    from sentence_transformers import CrossEncoder
    from sentence_transformers.base.modules import Dense, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    path = Path(path)
    if (path / "modules.json").is_file():
        encoder = Transformer(str(path), transformer_task="feature-extraction", max_seq_length=max_length)
        size = encoder.get_embedding_dimension()
        head = Dense(size, 1, activation_function=None, module_output_name="scores")
        return CrossEncoder(modules=[encoder, Pooling(size, "mean"), head], device="cpu")
    with _quiet_fresh_head():
        return CrossEncoder(str(path), num_labels=1, max_length=max_length, device="cpu")


def _remove_abandoned(folder: Path) -> None:
    """Deletes temporary folders of ``folder`` left by runs that were stopped while training."""
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        try:
            os.kill(int(pid), 0)  # signal 0 only checks that the process exists
        except (ValueError, ProcessLookupError):
            shutil.rmtree(tmp, ignore_errors=True)
        except PermissionError:
            pass  # another user's live process


def train_cross_encoder(examples: list[tuple[str, str, float]], name: str, base_model: str = DEFAULT_BASE_MODEL,
                        epochs: int = 1, batch_size: int = 16, max_length: int = 256, learning_rate: float = 5e-5,
                        seed: int = 0):
    """Trains a cross-encoder on ``(query, passage, label)`` examples (label 1.0 relevant, 0.0 not) and returns it.

    It starts from ``base_model``'s weights with a new one-output scoring head, trains on the CPU with binary
    cross-entropy, and keeps the result in ``<cache>/rerankers/{name}-{key}``. The key is a hash of the
    settings and the examples. A second call with the same inputs loads that folder in seconds instead of
    training again. ``model.ragft_info`` holds the training time in seconds, the number of examples and the
    folder.
    """
    examples = _check_examples(examples)  # before the slow imports: a mistake shows at once

    import torch
    import transformers
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    from .models import resolve_model

    settings = {"base_model": base_model, "epochs": epochs, "batch_size": batch_size, "max_length": max_length,
                "learning_rate": learning_rate, "seed": seed}
    folder = cache_dir() / "rerankers" / f"{name}-{reranker_key(examples, settings)}"
    if (folder / INFO_FILE).is_file():
        info = json.loads((folder / INFO_FILE).read_text())
        model = _load(folder)
        model.ragft_info = {**info, "path": str(folder), "from_cache": True}
        print(f"reranker {name!r} read from the cache ({folder.name}; training took {info['seconds']:.0f} s)", file=sys.stderr)
        return model

    transformers.set_seed(seed)  # the new head's initial weights and the order of the examples
    model = new_cross_encoder(resolve_model(base_model).path, max_length=max_length)
    data = Dataset.from_dict({"query": [q for q, _, _ in examples], "passage": [p for _, p, _ in examples],
                              "label": [label for _, _, label in examples]})
    _remove_abandoned(folder)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    args = CrossEncoderTrainingArguments(
        output_dir=str(tmp / "checkpoints"), num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        learning_rate=learning_rate, warmup_steps=0.1,  # a float: 10% of the steps (transformers 5)
        seed=seed, data_seed=seed, use_cpu=True,
        save_strategy="no", logging_strategy="no", report_to="none", dataloader_num_workers=0,
    )
    trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=data, loss=BinaryCrossEntropyLoss(model))
    print(f"training reranker {name!r} on {len(examples)} examples ({epochs} epoch(s), CPU)", file=sys.stderr)
    start = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - start
    info = {"name": name, **settings, "examples": len(examples), "seconds": round(seconds, 1),
            "train_loss": round(float(result.training_loss), 4), "torch_threads": torch.get_num_threads()}
    model.save_pretrained(str(tmp))
    shutil.rmtree(tmp / "checkpoints", ignore_errors=True)
    (tmp / INFO_FILE).write_text(json.dumps(info, indent=1))
    if folder.exists() and not (folder / INFO_FILE).is_file():
        shutil.rmtree(folder, ignore_errors=True)  # left by an older, interrupted version: not a finished reranker
    try:
        tmp.rename(folder)  # all at once: a half-written folder is never taken for a finished one
    except OSError:  # another run finished the same reranker first; keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    model.ragft_info = {**info, "path": str(folder), "from_cache": False}
    print(f"reranker {name!r} trained in {seconds:.0f} s, saved to the cache ({folder.name})", file=sys.stderr)
    return model


def pretrained_cross_encoder(hub_id: str = PRETRAINED_RERANKER):
    """Returns the standard pretrained reranker ``hub_id`` as a ``CrossEncoder`` if it can be found
    (local models folder or Hugging Face hub), else ``None``, after printing one line that says so."""
    from .models import ModelNotFoundError, resolve_model

    try:
        resolved = resolve_model(hub_id)
    except ModelNotFoundError:
        print(f"{hub_id} is not available offline (not in RAGFT_MODELS_DIR, hub unreachable): going on without it.")
        return None
    print(f"reranker  {resolved}")
    return _load(resolved.path)


def _logits(scores):
    """The scores as they come out of the model (no sigmoid), as ``predict``'s ``activation_fn``."""
    return scores


def rerank(model, query: str, passages: list[str], batch_size: int = 32) -> np.ndarray:
    """Returns the cross-encoder's score for each passage, in the order given. Higher is more relevant.

    The scores are raw logits, not probabilities, so they can be compared and fused without saturating at 1.
    """
    if not passages:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(model.predict([(query, p) for p in passages], batch_size=batch_size, show_progress_bar=False,
                                    activation_fn=_logits), dtype=np.float32)


def rerank_order(model, query: str, passages: list[str], batch_size: int = 32) -> list[int]:
    """Returns the indices of ``passages``, most relevant first according to the cross-encoder."""
    scores = rerank(model, query, passages, batch_size=batch_size)
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def rerank_run(model, run: dict[str, dict[str, float]], queries: dict[str, str], texts: dict[str, str], top_n: int = 20,
               batch_size: int = 32, show_progress_bar: bool = True) -> dict[str, dict[str, float]]:
    """Reranks each query's top ``top_n`` documents of ``run`` (``{query id: {doc id: score}}``) by cross-encoder score.

    ``texts`` maps doc id to the text to score. Documents below the top ``top_n`` keep their order, below the
    reranked ones, so recall at the run's depth does not change. Every pair is scored in one batched pass.
    Returns a new run.
    """
    tops, pairs = {}, []
    for q, scores in run.items():
        tops[q] = sorted(scores, key=lambda d: -scores[d])
        pairs.extend((queries[q], texts[d]) for d in tops[q][:top_n])
    flat = np.asarray(model.predict(pairs, batch_size=batch_size, show_progress_bar=show_progress_bar,
                                    activation_fn=_logits), dtype=np.float64) if pairs else np.zeros(0)
    out, at = {}, 0
    for q, ranked in tops.items():
        head, tail = ranked[:top_n], ranked[top_n:]
        ce = flat[at:at + len(head)]
        at += len(head)
        new = {d: float(s) for d, s in zip(head, ce)}
        floor = float(ce.min()) if len(ce) else 0.0
        new.update({d: floor - 1.0 - i for i, d in enumerate(tail)})
        out[q] = dict(sorted(new.items(), key=lambda item: -item[1]))
    return out


def hard_negatives(ranked_ids: list[str], positive_ids, n: int, skip: int = 0) -> list[str]:
    """Returns the first ``n`` ids of ``ranked_ids`` that are not positives, after skipping the first ``skip`` of those.

    These are the non-relevant passages that a retriever ranks highest: the hard cases a reranker must learn.
    ``skip`` leaves out the very top, where unjudged relevant passages are most likely.

    >>> hard_negatives(["a", "p", "b", "c", "d"], {"p"}, n=2, skip=1)
    ['b', 'c']
    """
    positives = set(positive_ids)
    negatives = [i for i in ranked_ids if i not in positives]
    return negatives[skip:skip + n]
