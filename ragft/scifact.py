"""BEIR SciFact: a public benchmark for the retrievers and rerankers of the course (notebook 05).

SciFact pairs scientific claims with the abstracts that support or refute them. The BEIR copy has
5,183 abstracts, 1,109 claims (809 train, 300 test) and test judgments (``qrels/test.tsv``).
We evaluate on the 300 test claims only. The train claims' evidence annotations (the ``metadata`` field
of ``queries.jsonl``) can be used to train a reranker. The test claims' annotations are never read.

Typical use::

    data = load_scifact()                                  # or subset(load_scifact()) in smoke runs
    bm25 = bm25_run(data.corpus, data.queries)             # {query id: {doc id: score}}, top 100
    dense = dense_run(data.corpus, data.queries, embedder)
    hybrid = rrf_run([bm25, dense])
    evaluate(data.qrels, hybrid)                           # {'ndcg@10': ..., 'recall@100': ...}
"""
from __future__ import annotations

import csv
import json
import os
import random
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .paths import COURSE_ROOT, cache_dir

SCIFACT_DIR_ENV = "RAGFT_SCIFACT_DIR"
SCIFACT_URL = "https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/scifact.zip"
#: The files the loader needs, relative to the SciFact folder.
FILES = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")
#: Where SciFact lives inside the offline folder named by RAGFT_MODELS_DIR (``python -m ragft.prefetch`` puts it there).
OFFLINE_SUBFOLDER = Path("datasets") / "scifact"
DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
Run = dict[str, dict[str, float]]


class SciFact(NamedTuple):
    """SciFact as the course uses it. Unpack it as ``corpus, queries, qrels, train = data``.

    - ``corpus``: list of ``{"_id", "title", "text"}``, in file order.
    - ``queries``: ``{query id: claim}``, the test claims, i.e. those in ``qrels/test.tsv``.
    - ``qrels``: ``{query id: {doc id: 1}}``, the test judgments.
    - ``train``: list of ``{"_id", "text", "evidence": [doc ids]}``, the train claims, i.e. those not in the test
      qrels. ``evidence`` lists the abstracts that the SciFact annotators marked as supporting or refuting the claim.
      It comes from ``metadata`` and is empty for claims without evidence. Use it only for training.
    """

    corpus: list[dict]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    train: list[dict]


def _has_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FILES)


def scifact_dir() -> Path:
    """Returns the folder that holds SciFact (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``).

    It uses ``RAGFT_SCIFACT_DIR`` when that is set. Otherwise it returns the first of these that holds the files:
    ``$RAGFT_MODELS_DIR/datasets/scifact`` (the offline folder ``python -m ragft.prefetch`` fills),
    ``../shared/benchmarks/scifact`` next to the course, then ``<cache>/scifact``, where
    :func:`download_scifact` puts it.
    """
    if os.environ.get(SCIFACT_DIR_ENV):
        folder = Path(os.environ[SCIFACT_DIR_ENV]).expanduser()
        if not _has_files(folder):
            raise FileNotFoundError(f"{SCIFACT_DIR_ENV}={folder} does not hold SciFact's {', '.join(FILES)}")
        return folder
    from .models import MODELS_DIR_ENV

    downloaded = cache_dir() / "scifact"
    candidates = [COURSE_ROOT.parent / "shared" / "benchmarks" / "scifact", downloaded]
    if os.environ.get(MODELS_DIR_ENV):  # the offline folder `python -m ragft.prefetch` fills
        candidates.insert(0, Path(os.environ[MODELS_DIR_ENV]).expanduser() / OFFLINE_SUBFOLDER)
    for folder in candidates:
        if _has_files(folder):
            return folder
    raise FileNotFoundError(
        "SciFact was not found. Looked for " + ", ".join(FILES) + " in:\n  - "
        + "\n  - ".join(str(c) for c in candidates)
        + f"\nGet it with: python -c 'from ragft.scifact import download_scifact; download_scifact()'"
        f" (downloads {SCIFACT_URL}, 2.7 MB, into {downloaded}), or set {SCIFACT_DIR_ENV} to a folder holding those"
        f" files; for a workshop without internet, python -m ragft.prefetch on a connected machine fills the offline folder."
    )


def download_scifact(dest: str | Path | None = None) -> Path:
    """Download BEIR's SciFact zip and unpack ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv`` into ``dest``.

    ``dest`` defaults to ``<cache>/scifact``, where :func:`scifact_dir` looks. It needs internet access.
    The zip also has ``qrels/train.tsv``. The course leaves it out: the train claims' evidence comes from
    ``queries.jsonl``, so a downloaded copy gives the same results as the shared one.
    """
    import shutil
    import tempfile
    import urllib.request
    import zipfile

    dest = Path(dest) if dest else cache_dir() / "scifact"
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "scifact.zip"
        print(f"downloading {SCIFACT_URL}", file=sys.stderr)
        with urllib.request.urlopen(SCIFACT_URL, timeout=60) as response, open(archive, "wb") as f:
            shutil.copyfileobj(response, f)
        with zipfile.ZipFile(archive) as zf:
            for name in FILES:
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(f"scifact/{name}") as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    print(f"SciFact is in {dest}", file=sys.stderr)
    return dest


def _read_jsonl(path: Path, required: tuple[str, ...]) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
            missing = [key for key in required if not isinstance(row.get(key), str)]
            if missing:
                raise ValueError(f"{path} line {number}: missing or non-text field(s) {missing}")
            rows.append(row)
    ids = [row["_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate _id values")
    return rows


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """Reads a BEIR qrels file (``query-id<TAB>corpus-id<TAB>score``, header optional, CRLF or LF line endings).

    Returns ``{query id: {doc id: score}}``, keeping positive scores. Raises ``ValueError`` that names the line
    of a malformed row.
    """
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as f:  # the csv module handles \r\n itself
        for number, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if not row or row == [""]:
                continue
            if number == 1 and row[0] == "query-id":
                continue
            if len(row) != 3 or not row[0] or not row[1] or not row[2].strip().lstrip("-").isdigit():
                raise ValueError(f"{path} line {number}: expected 'query-id<TAB>corpus-id<TAB>integer score', got {row!r}")
            if int(row[2]) > 0:
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_scifact(path: str | Path | None = None) -> SciFact:
    """Loads SciFact from ``path``, which defaults to :func:`scifact_dir`, as a :class:`SciFact`
    ``(corpus, queries, qrels, train)``.

    It checks that every judged query and document exists. The test claims' ``metadata`` (their answers) is
    dropped as soon as it is read.
    """
    folder = Path(path) if path else scifact_dir()
    corpus = [{"_id": d["_id"], "title": d["title"], "text": d["text"]}
              for d in _read_jsonl(folder / "corpus.jsonl", ("_id", "title", "text"))]
    claims = _read_jsonl(folder / "queries.jsonl", ("_id", "text"))
    qrels = read_qrels(folder / "qrels" / "test.tsv")
    doc_ids = {d["_id"] for d in corpus}
    claim_ids = {c["_id"] for c in claims}
    unknown_queries = sorted(set(qrels) - claim_ids)
    unknown_docs = sorted({d for judged in qrels.values() for d in judged} - doc_ids)
    if unknown_queries or unknown_docs:
        raise ValueError(f"{folder}: qrels/test.tsv names unknown query ids {unknown_queries[:5]} or doc ids {unknown_docs[:5]}")
    queries = {c["_id"]: c["text"] for c in claims if c["_id"] in qrels}
    train = []
    for claim in claims:
        if claim["_id"] in qrels:
            continue  # a test claim: its metadata is never read
        metadata = claim.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError(f"{folder}/queries.jsonl: claim {claim['_id']} has metadata that is not an object")
        train.append({"_id": claim["_id"], "text": claim["text"], "evidence": [d for d in metadata if d in doc_ids]})
    return SciFact(corpus, queries, qrels, train)


def subset(data: SciFact, n_queries: int = 50, n_docs: int = 500, seed: int = 0) -> SciFact:
    """Returns a small, deterministic SciFact for smoke runs.

    It keeps the first ``n_queries`` test queries (in qrels order) and every abstract judged for them. It fills the
    corpus up to ``n_docs`` with a seeded random sample of the other abstracts, in corpus order. The train
    claims keep only evidence inside the subset, and claims left without evidence are dropped.
    Scores on a subset are higher than on the full corpus (fewer distractors). Use it to check that code runs,
    not to compare with published figures.
    """
    query_ids = list(data.qrels)[:n_queries]
    judged = {d for q in query_ids for d in data.qrels[q]}
    others = sorted(d["_id"] for d in data.corpus if d["_id"] not in judged)
    extra = set(random.Random(seed).sample(others, max(0, min(len(others), n_docs - len(judged)))))
    keep = judged | extra
    corpus = [d for d in data.corpus if d["_id"] in keep]
    train = [{**c, "evidence": [d for d in c["evidence"] if d in keep]} for c in data.train]
    train = [c for c in train if c["evidence"]]
    return SciFact(corpus, {q: data.queries[q] for q in query_ids}, {q: data.qrels[q] for q in query_ids}, train)


# ----------------------------------------------------------------------------------------------- retrieval


def doc_text(doc: dict) -> str:
    """The text that is indexed, embedded and reranked for an abstract: ``title + " " + text``."""
    return doc["title"] + " " + doc["text"]


def doc_texts(corpus: list[dict]) -> dict[str, str]:
    """Returns ``{doc id: title + " " + text}``, which :func:`rerank_top` needs."""
    return {d["_id"]: doc_text(d) for d in corpus}


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def bm25_run(corpus: list[dict], queries: dict[str, str], k: int = 100, index=None) -> Run:
    """Retrieves the BM25 top ``k`` abstracts per query (bm25s, stemmed, title + text).

    Returns ``{query id: {doc id: score}}``. Pass a :class:`ragft.lexical.BM25Index` of the same corpus as
    ``index`` to reuse one.
    """
    from .lexical import BM25Index

    index = index or BM25Index([doc_text(d) for d in corpus])
    qids = list(queries)
    if not qids:
        return {}
    ids, scores = index.search([queries[q] for q in qids], k=k)
    return {q: {corpus[int(i)]["_id"]: float(s) for i, s in zip(ids[row], scores[row])} for row, q in enumerate(qids)}


def dense_run(corpus: list[dict], queries: dict[str, str], embedder, model_id: str = DEFAULT_EMBEDDER, k: int = 100) -> Run:
    """Retrieves the top ``k`` abstracts per query by cosine similarity of ``embedder`` vectors.

    Returns ``{query id: {doc id: cosine}}``. The corpus vectors are cached (:func:`ragft.retrieval.encode_cached`):
    the full corpus takes several minutes on a laptop CPU the first time, then seconds.
    """
    from .retrieval import encode_cached

    qids = list(queries)
    if not qids:
        return {}
    docs = np.asarray(encode_cached(embedder, [doc_text(d) for d in corpus], model_id), dtype=np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    vectors = np.asarray(embedder.encode([queries[q] for q in qids], batch_size=32, show_progress_bar=False), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = vectors @ docs.T
    run = {}
    for row, q in enumerate(qids):
        top = _top_k(scores[row], k)
        run[q] = {corpus[int(i)]["_id"]: float(scores[row, i]) for i in top}
    return run


def ranking(scores: dict[str, float]) -> list[str]:
    """Returns the ids of ``{id: score}``, best first (ties keep their order)."""
    return sorted(scores, key=lambda i: -scores[i])


def rrf_run(runs: list[Run], k: int = 60, depth: int | None = 100) -> Run:
    """Fuses runs with reciprocal rank fusion (:func:`ragft.fusion.reciprocal_rank_fusion`, ``k=60``).

    Keeps the best ``depth`` per query, or all of them if ``depth`` is None.
    """
    from .fusion import reciprocal_rank_fusion

    fused = {}
    for q in dict.fromkeys(q for run in runs for q in run):
        scores = reciprocal_rank_fusion([ranking(run[q]) for run in runs if q in run], k=k)
        fused[q] = dict(list(scores.items())[:depth]) if depth else scores
    return fused


def evaluate(qrels: dict[str, dict[str, int]], run: Run, metrics: tuple[str, ...] = ("ndcg@10", "recall@100")) -> dict[str, float]:
    """Computes the mean of each metric over the queries in ``qrels``, with ranx.

    Returns ``{"ndcg@10": ..., "recall@100": ...}``. A judged query missing from ``run`` scores 0.
    Queries in ``run`` but not in ``qrels`` are ignored.
    """
    from ranx import Qrels
    from ranx import Run as RanxRun
    from ranx import evaluate as ranx_evaluate

    run = {q: ({d: float(s) for d, s in docs.items()} or {"__none__": 0.0}) for q, docs in run.items() if q in qrels}
    for q in qrels:
        run.setdefault(q, {"__none__": 0.0})
    scores = ranx_evaluate(Qrels(qrels), RanxRun(run), list(metrics), make_comparable=True)
    if isinstance(scores, dict):
        return {m: float(v) for m, v in scores.items()}
    return {metrics[0]: float(scores)}


def rerank_top(model, run: Run, queries: dict[str, str], texts: dict[str, str], top_n: int = 20, batch_size: int = 32) -> Run:
    """Reranks each query's top ``top_n`` documents of ``run`` with a cross-encoder (:func:`ragft.rerank.rerank_run`)."""
    from .rerank import rerank_run

    return rerank_run(model, run, queries, texts, top_n=top_n, batch_size=batch_size)


# ----------------------------------------------------------------------------------------------- training data


def train_claims(data: SciFact, ids: list[str] | None = None) -> dict[str, str]:
    """Returns ``{claim id: claim}`` for the train claims that have evidence (optionally only ``ids``)."""
    wanted = None if ids is None else set(ids)
    return {c["_id"]: c["text"] for c in data.train if c["evidence"] and (wanted is None or c["_id"] in wanted)}


def train_qrels(data: SciFact, ids: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Returns ``{claim id: {evidence doc id: 1}}`` for the train claims that have evidence. Use it to score a
    held-out part of the train claims when choosing settings, never the test qrels."""
    wanted = None if ids is None else set(ids)
    return {c["_id"]: {d: 1 for d in c["evidence"]} for c in data.train if c["evidence"] and (wanted is None or c["_id"] in wanted)}


def split_train(data: SciFact, dev_fraction: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """Splits the train claims that have evidence into ``(fit ids, dev ids)``, seeded. Choose settings on dev."""
    ids = sorted(train_claims(data), key=lambda i: (len(i), i))
    random.Random(seed).shuffle(ids)
    n_dev = round(len(ids) * dev_fraction)
    return sorted(ids[n_dev:], key=lambda i: (len(i), i)), sorted(ids[:n_dev], key=lambda i: (len(i), i))


def _check_no_test_queries(data: SciFact, runs: list[Run], ids: list[str] | None) -> None:
    leaked = sorted(({q for run in runs for q in run} | set(ids or ())) & set(data.qrels))
    if leaked:
        raise ValueError(f"test queries must not be used for training, but these are test query ids: {leaked[:5]}")


def reranker_examples(data: SciFact, runs: list[Run], n_negatives: int = 4, skip: int = 0,
                      ids: list[str] | None = None) -> list[tuple[str, str, float]]:
    """Returns ``(claim, abstract, label)`` examples from the train claims for :func:`ragft.rerank.train_cross_encoder`.

    Positives (label 1.0) are each claim's evidence abstracts. Negatives (label 0.0) are hard negatives: the first
    ``n_negatives`` non-evidence abstracts of the RRF fusion of ``runs``, which are the course's retrievers run
    on the train claims, after skipping the first ``skip`` of them.
    Raises ``ValueError`` if a run or ``ids`` holds a test query. Test claims must never be used for training.
    """
    from .rerank import hard_negatives

    _check_no_test_queries(data, runs, ids)
    claims = train_claims(data, ids)
    texts = doc_texts(data.corpus)
    evidence = {c["_id"]: c["evidence"] for c in data.train}
    fused = rrf_run([{q: r for q, r in run.items() if q in claims} for run in runs], depth=None)
    examples = []
    for q, claim in claims.items():
        for d in evidence[q]:
            examples.append((claim, texts[d], 1.0))
        for d in hard_negatives(ranking(fused.get(q, {})), evidence[q], n_negatives, skip=skip):
            examples.append((claim, texts[d], 0.0))
    return examples


def embedder_triplets(data: SciFact, runs: list[Run], ids: list[str] | None = None) -> list[tuple[str, str, str]]:
    """Returns ``(claim, evidence abstract, hard negative abstract)`` triplets from the train claims, for
    :func:`adapt_embedder`.

    There is one triplet per evidence abstract. Its negative is the next non-evidence abstract of the RRF fusion of
    ``runs``, which are the course's retrievers run on the train claims. Raises ``ValueError`` if a run or ``ids``
    holds a test query.
    """
    from .rerank import hard_negatives

    _check_no_test_queries(data, runs, ids)
    claims = train_claims(data, ids)
    texts = doc_texts(data.corpus)
    evidence = {c["_id"]: c["evidence"] for c in data.train}
    fused = rrf_run([{q: r for q, r in run.items() if q in claims} for run in runs], depth=None)
    triplets = []
    for q, claim in claims.items():
        negatives = hard_negatives(ranking(fused.get(q, {})), evidence[q], len(evidence[q]))
        for i, d in enumerate(evidence[q]):
            if negatives:
                triplets.append((claim, texts[d], texts[negatives[i % len(negatives)]]))
    return triplets


def adapt_embedder(triplets: list[tuple[str, str, str]], name: str, base_model: str = DEFAULT_EMBEDDER, epochs: int = 1,
                   batch_size: int = 16, learning_rate: float = 2e-5, seed: int = 0):
    """Fine-tunes the embedder on ``(query, relevant passage, hard negative passage)`` triplets and returns
    ``(model, model_id)``. Pass ``model_id`` to :func:`dense_run` so the adapted vectors get their own cache entry.

    The loss is MultipleNegativesRankingLoss: each query must score its relevant passage above its hard negative
    and above every other passage in the batch. Training runs on the CPU. The result is cached in
    ``<cache>/embedders/{name}-{key}`` like :func:`ragft.rerank.train_cross_encoder`, so a second call loads it in
    seconds. ``model.ragft_info`` holds the training time. The corpus must then be embedded again with the
    adapted model, which takes as long as the first time.
    """
    import hashlib
    import shutil
    import time

    if not triplets or any(len(t) != 3 or not all(isinstance(x, str) and x.strip() for x in t) for t in triplets):
        raise ValueError("adapt_embedder needs (query, positive, negative) triplets of non-empty text")
    settings = {"base_model": base_model, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                "seed": seed, "loss": "MultipleNegativesRankingLoss", "version": 1}
    digest = hashlib.sha256(json.dumps([settings, triplets]).encode()).hexdigest()[:12]
    folder = cache_dir() / "embedders" / f"{name}-{digest}"
    info_file = folder / "ragft_embedder.json"

    from sentence_transformers import SentenceTransformer

    if info_file.is_file():
        info = json.loads(info_file.read_text())
        model = SentenceTransformer(str(folder), device="cpu")
        model.ragft_info = {**info, "from_cache": True}
        print(f"embedder {name!r} read from the cache ({folder.name}; training took {info['seconds']:.0f} s)", file=sys.stderr)
        return model, folder.name

    import transformers
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from .models import resolve_model

    transformers.set_seed(seed)
    model = SentenceTransformer(str(resolve_model(base_model).path), device="cpu")
    data = Dataset.from_dict({"anchor": [t[0] for t in triplets], "positive": [t[1] for t in triplets],
                              "negative": [t[2] for t in triplets]})
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp / "checkpoints"), num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        learning_rate=learning_rate, warmup_steps=0.1, seed=seed, data_seed=seed, use_cpu=True, save_strategy="no",
        logging_strategy="no", report_to="none", dataloader_num_workers=0,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # the same claim twice in a batch would be a false negative
    )
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model))
    print(f"adapting embedder {name!r} on {len(triplets)} triplets ({epochs} epoch(s), CPU)", file=sys.stderr)
    start = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - start
    info = {"name": name, **settings, "triplets": len(triplets), "seconds": round(seconds, 1),
            "train_loss": round(float(result.training_loss), 4)}
    model.save_pretrained(str(tmp))
    shutil.rmtree(tmp / "checkpoints", ignore_errors=True)
    (tmp / info_file.name).write_text(json.dumps(info, indent=1))
    try:
        tmp.rename(folder)  # all at once: a half-written folder is never taken for a finished one
    except OSError:  # another run finished it first; keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    model.ragft_info = {**info, "from_cache": False}
    print(f"embedder {name!r} adapted in {seconds:.0f} s, saved to the cache ({folder.name})", file=sys.stderr)
    return model, folder.name
