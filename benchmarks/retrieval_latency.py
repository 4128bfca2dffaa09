"""Benchmark: retrieval latency per query (exact vector search, BM25) and cross-encoder rerank latency.

    python benchmarks/retrieval_latency.py                      # 1k, 10k, 100k chunks (about 6 minutes on 2 busy cores)
    python benchmarks/retrieval_latency.py --sizes 1000 10000   # skip 100k
    python benchmarks/retrieval_latency.py --quick --output /tmp/r.json   # tiny sizes, a few repeats (the test)

Vector search: top-10 by cosine over seeded synthetic 384-d unit vectors (the embedder's size),
with NumPy brute force (matrix product + argpartition), FAISS ``IndexFlatIP`` and Qdrant local
mode (``QdrantClient(":memory:")``, ``query_points`` / ``query_batch_points``). All three are exact
search, so they return the same top 10 (checked and recorded). Each is timed single-query (one query
per call, many calls) and batched (``--batch`` queries per call, time divided by the batch size);
NumPy and FAISS one-query search up to 10k chunks is timed with one thread as well as ``--threads``.
BM25: ``ragft.lexical.BM25Index`` over 120-word chunks of the knowledge base, topped up to the size
with synthetic chunks whose words are drawn from the knowledge base's own word frequencies; the
queries are the evaluation set's questions. Rerank: a cross-encoder built from the shipped MiniLM
weights scores (question, passage) pairs for the top 20 BM25 passages of one question, per call.

Every measurement warms up first, then reports p50 and p95 over calls (calls stop early once a
measurement has used ``--budget`` seconds and has at least 3 timed calls; Qdrant batched at 100k
takes two calls of tens of seconds each). Most of the run time is Qdrant local mode at 100k (its
build alone is about a minute) and the rerank. Writes
``benchmarks/results/retrieval_latency.json``. A benchmark, not a test: nothing fails on a slow machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: find ragft

RESULTS = Path(__file__).parent / "results" / "retrieval_latency.json"
EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
K = 10
RERANK_K = 20
PASSAGE_WORDS = 120
GOAL_SEARCH_MS = 10.0  # p50 per query at 10k chunks, fastest vector index, one query per call
GOAL_SEARCH_CHUNKS = 10_000
GOAL_RERANK_MS = 100.0  # p50 per call, rerank the top 20
AGREEMENT_QUERIES = 8  # queries whose top 10 are compared across the three indexes
CAVEAT = ("Measured on a machine shared with other jobs (see load_average_1min_start_end and torch_matmul_gflops_start_end, "
          "the compute this process actually got): figures are indicative, p95 most of all, and an idle machine of the same "
          "kind would be faster. On a busy machine a second BLAS/OpenMP thread can make one-query search several times "
          "slower (each call waits for a descheduled thread): compare the threads 1 and 2 rows. Qdrant local mode "
          "(':memory:') is the client's pure-Python/NumPy development mode, not the Qdrant server, whose HNSW search is "
          "far faster at 100k; do not read it as Qdrant's speed.")
WARMUP_BATCH = 8  # the batched warm-up call: enough to run every code path, cheap for Qdrant at 100k


def matmul_gflops(threads: int) -> float:
    """Achieved fp32 GFLOP/s of a 1024x1024 torch matrix product: how much compute the (shared) machine gave."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return round(2 * 1024 ** 3 / statistics.median(times) / 1e9, 1)


def percentiles_ms(seconds: list[float], per: int = 1) -> dict:
    ms = np.asarray(seconds) * 1000 / per
    return {"p50_ms": round(float(np.percentile(ms, 50)), 4), "p95_ms": round(float(np.percentile(ms, 95)), 4)}


def measure(call, inputs: list, calls: int, warmup: int, budget_s: float, min_calls: int = 3, warmup_input=None) -> list[float]:
    """Seconds per call of ``call(inputs[i])`` after ``warmup`` untimed calls (of ``warmup_input`` if given);
    cycles through ``inputs``. Stops after ``calls`` timed calls, or earlier once ``budget_s`` is spent
    and ``min_calls`` are done."""
    for i in range(warmup):
        call(inputs[i % len(inputs)] if warmup_input is None else warmup_input)
    times: list[float] = []
    started = time.perf_counter()
    for i in range(calls):
        item = inputs[(warmup + i) % len(inputs)]
        t0 = time.perf_counter()
        call(item)
        times.append(time.perf_counter() - t0)
        if len(times) >= min_calls and time.perf_counter() - started > budget_s:
            break
    return times


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


# ---------------------------------------------------------------- vector indexes: build, search one, search many

def numpy_index(x: np.ndarray):
    def one(q: np.ndarray) -> np.ndarray:
        scores = x @ q
        top = np.argpartition(-scores, K - 1)[:K]
        return top[np.argsort(-scores[top])]

    def many(qs: np.ndarray) -> np.ndarray:
        scores = qs @ x.T
        top = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        return np.take_along_axis(top, order, axis=1)

    return one, many


def faiss_index(x: np.ndarray):
    import faiss

    index = faiss.IndexFlatIP(DIM)
    index.add(x)

    def one(q: np.ndarray) -> np.ndarray:
        return index.search(q[None, :], K)[1][0]

    def many(qs: np.ndarray) -> np.ndarray:
        return index.search(qs, K)[1]

    return one, many


def qdrant_index(x: np.ndarray, upload_batch: int = 5000):
    from qdrant_client import QdrantClient, models

    client = QdrantClient(":memory:")
    client.create_collection("bench", vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
    for start in range(0, len(x), upload_batch):
        part = x[start:start + upload_batch]
        client.upsert("bench", points=models.Batch(ids=list(range(start, start + len(part))), vectors=part.tolist()), wait=True)

    def one(q: np.ndarray) -> np.ndarray:
        points = client.query_points("bench", query=q.tolist(), limit=K, with_payload=False).points
        return np.array([p.id for p in points])

    def many(qs: np.ndarray) -> np.ndarray:
        requests = [models.QueryRequest(query=q.tolist(), limit=K, with_payload=False) for q in qs]
        return np.array([[p.id for p in r.points] for r in client.query_batch_points("bench", requests=requests)])

    return one, many, client


def set_search_threads(threads: int) -> None:
    """Threads for NumPy's BLAS (via threadpoolctl, when installed) and FAISS's OpenMP."""
    import faiss

    faiss.omp_set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, user_api="blas")
    except ImportError:
        pass


def vector_benchmarks(args, notes: list[str]) -> tuple[list[dict], list[dict], list[dict]]:
    import faiss  # noqa: F401  (imported before any build is timed)
    import qdrant_client  # noqa: F401

    rows, builds, agreement = [], [], []

    def timed(name, n, mode, call, inputs, per, calls, warm, threads, min_calls=3):
        times = measure(call, inputs, calls, budget_s=args.budget, min_calls=min_calls, **warm)
        rows.append({"index": name, "chunks": n, "mode": mode, "queries_per_call": per, "threads": threads,
                     "calls_timed": len(times), **percentiles_ms(times, per)})
        r = rows[-1]
        print(f"{name:6} {n:>7} chunks {mode:7} {threads} thread{'s' if threads > 1 else ' '}: p50 {r['p50_ms']:9.3f} ms/query, "
              f"p95 {r['p95_ms']:9.3f} ({r['calls_timed']} calls of {per})", flush=True)

    for n in args.sizes:
        rng = np.random.default_rng(args.seed + n)
        x = unit_vectors(rng, n)
        queries = unit_vectors(rng, 1024)
        singles = list(queries)
        batches = [queries[i:i + args.batch] for i in range(0, len(queries) - args.batch + 1, args.batch)]
        big = n >= 50_000
        tops = {}
        for name in ("numpy", "faiss", "qdrant"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                t0 = time.perf_counter()
                if name == "numpy":
                    one, many = numpy_index(x)  # nothing to build: the unit vectors are the index
                elif name == "faiss":
                    one, many = faiss_index(x)
                else:
                    one, many, client = qdrant_index(x)
                build = time.perf_counter() - t0
                builds.append({"index": name, "chunks": n, "build_seconds": round(build, 4)})
                slow = name == "qdrant"  # local mode searches in Python: far fewer calls fit the budget
                for mode, call, inputs, per in (("single", one, singles, 1), ("batched", many, batches, args.batch)):
                    calls = args.single_calls if mode == "single" else args.batched_calls
                    if big or slow:
                        calls = max(3, calls // 4)
                    # Qdrant local at 100k: one batched call takes tens of seconds, two must do.
                    min_calls = 2 if big and slow and mode == "batched" else 3
                    if min_calls == 2:
                        calls = 2
                    warm = dict(warmup=args.warmup) if mode == "single" else dict(warmup=1, warmup_input=queries[:WARMUP_BATCH])
                    timed(name, n, mode, call, inputs, per, calls, warm, args.threads, min_calls)
                    if mode == "single" and name != "qdrant" and n <= GOAL_SEARCH_CHUNKS and args.threads > 1:
                        # One query per call barely uses a second core, and on a busy machine waiting for
                        # it costs more than it gives: measure one thread as well.
                        set_search_threads(1)
                        timed(name, n, mode, call, inputs, per, calls, warm, 1)
                        set_search_threads(args.threads)
                tops[name] = many(queries[:AGREEMENT_QUERIES])
                if name == "qdrant":
                    client.close()
            for w in caught:  # recorded in the JSON and printed, not hidden
                message = f"{name} at {n} chunks: {w.category.__name__}: {str(w.message).splitlines()[0]}"
                if message not in notes:
                    notes.append(message)
                    print(f"note: {message}", flush=True)
        for name in ("faiss", "qdrant"):
            same = [set(a) == set(b) for a, b in zip(tops["numpy"], tops[name])]
            agreement.append({"chunks": n, "index": name, "vs": "numpy", "queries": len(same),
                              "same_top10_fraction": round(sum(same) / len(same), 4)})
    return rows, builds, agreement


# ---------------------------------------------------------------- BM25 and rerank

def kb_chunks() -> list[str]:
    from ragft import load_knowledge_base
    from ragft.chunking import chunk_words

    return [c for doc in load_knowledge_base() for c in chunk_words(doc.text, PASSAGE_WORDS)]


def bm25_corpus(real: list[str], n: int, rng: np.random.Generator) -> tuple[list[str], int]:
    """``n`` chunks: the real ones first, then synthetic ones drawn from the real chunks' word frequencies."""
    if n <= len(real):
        return real[:n], n
    words = np.array(" ".join(real).split())
    draws = words[rng.integers(0, len(words), size=(n - len(real), PASSAGE_WORDS))]
    return real + [" ".join(row) for row in draws], len(real)


def bm25_benchmarks(args, real: list[str], questions: list[str]) -> list[dict]:
    from ragft.lexical import BM25Index

    rows = []
    for n in args.bm25_sizes:
        texts, n_real = bm25_corpus(real, n, np.random.default_rng(args.seed + n))
        t0 = time.perf_counter()
        index = BM25Index(texts)
        build = time.perf_counter() - t0
        batches = [questions[i:i + args.batch] for i in range(0, len(questions) - args.batch + 1, args.batch)]
        for mode, inputs, per in (("single", [[q] for q in questions], 1), ("batched", batches, args.batch)):
            calls = args.single_calls if mode == "single" else args.batched_calls
            warm = dict(warmup=args.warmup) if mode == "single" else dict(warmup=1, warmup_input=questions[:WARMUP_BATCH])
            times = measure(lambda qs: index.search(qs, k=K), inputs, calls, budget_s=args.budget, **warm)
            rows.append({"chunks": n, "real_kb_chunks": n_real, "synthetic_chunks": n - n_real, "mode": mode,
                         "queries_per_call": per, "calls_timed": len(times), "build_seconds": round(build, 4),
                         **percentiles_ms(times, per)})
            r = rows[-1]
            print(f"bm25   {n:>7} chunks {mode:7}: p50 {r['p50_ms']:9.3f} ms/query, p95 {r['p95_ms']:9.3f} "
                  f"({r['calls_timed']} calls of {per}; index built in {build:.2f} s)", flush=True)
    return rows


def rerank_benchmark(args, real: list[str], question: str, notes: list[str]) -> dict:
    import transformers
    from sentence_transformers import CrossEncoder

    from ragft.lexical import BM25Index
    from ragft.models import resolve_model

    resolved = resolve_model(EMBEDDER)
    # Loading a sentence-embedding folder as a cross-encoder makes sentence-transformers log
    # "Converting SentenceTransformer model ... to CrossEncoder", transformers draw a weight-loading
    # bar, and leaves the 1-label head newly initialised. All expected here: said once below and in
    # the JSON instead of on stderr. Real errors still reach stderr.
    st_logger = logging.getLogger("sentence_transformers")
    level, bars_off = st_logger.level, transformers.utils.logging.is_progress_bar_enabled() is False
    st_logger.setLevel(logging.ERROR)
    transformers.logging.disable_progress_bar()
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    try:
        model = CrossEncoder(str(resolved.path), num_labels=1, device="cpu")
    finally:
        transformers.logging.set_verbosity(verbosity)
        st_logger.setLevel(level)
        if not bars_off:
            transformers.logging.enable_progress_bar()
    note = ("rerank: sentence-transformers converts the MiniLM sentence-embedding folder to a CrossEncoder whose 1-label "
            "head is newly initialised (untrained), so its scores mean nothing; latency does not depend on them")
    notes.append(note)
    print(f"note: {note}", flush=True)
    ids, _ = BM25Index(real).search([question], k=RERANK_K)
    pairs = [(question, real[i]) for i in ids[0]]
    tokens = [len(model.tokenizer(q, p, truncation=True, max_length=model.max_seq_length)["input_ids"]) for q, p in pairs]
    times = measure(lambda ps: model.predict(ps, batch_size=RERANK_K, show_progress_bar=False), [pairs],
                    args.rerank_calls, args.rerank_warmup, budget_s=args.rerank_budget)
    # Rough compute per call: 2 FLOPs per non-embedding weight per token, every pair padded to the longest.
    weights = sum(p.numel() for name, p in model.model.named_parameters() if "embeddings" not in name)
    gflop = 2 * weights * len(pairs) * max(tokens) / 1e9
    result = {"model": f"CrossEncoder({EMBEDDER} weights, num_labels=1), untrained head", "model_source": str(resolved),
              "max_seq_length": model.max_seq_length, "question": question, "pairs_per_call": len(pairs),
              "passage_words_mean": round(float(np.mean([len(p.split()) for _, p in pairs])), 1),
              "tokens_per_pair_mean": round(float(np.mean(tokens)), 1), "tokens_per_pair_max": int(max(tokens)),
              "approx_gflop_per_call": round(gflop, 1), "warmup_calls": args.rerank_warmup, "calls_timed": len(times),
              **percentiles_ms(times)}
    result["p50_ms_per_pair"] = round(result["p50_ms"] / len(pairs), 4)
    print(f"rerank top-{len(pairs)}: p50 {result['p50_ms']:.1f} ms/call, p95 {result['p95_ms']:.1f} "
          f"({len(times)} calls; {result['tokens_per_pair_mean']:.0f} tokens per pair on average)", flush=True)
    return result


# ---------------------------------------------------------------- goals, machine, main

def goals(vector_rows: list[dict], rerank: dict | None) -> list[dict]:
    at_goal = [r for r in vector_rows if r["chunks"] == GOAL_SEARCH_CHUNKS and r["mode"] == "single"]
    search = {"goal": f"p50 under {GOAL_SEARCH_MS:g} ms per query at {GOAL_SEARCH_CHUNKS} chunks for the fastest vector index "
                      "(one query per call, as when answering one question)", "threshold_ms": GOAL_SEARCH_MS}
    if at_goal:
        best = min(at_goal, key=lambda r: r["p50_ms"])
        search.update(fastest_index=best["index"], threads=best["threads"], measured_p50_ms=best["p50_ms"],
                      met=best["p50_ms"] < GOAL_SEARCH_MS)
        batched = [r for r in vector_rows if r["chunks"] == GOAL_SEARCH_CHUNKS and r["mode"] == "batched"]
        if batched:
            fast = min(batched, key=lambda r: r["p50_ms"])
            search["for_comparison_batched"] = {"index": fast["index"], "queries_per_call": fast["queries_per_call"],
                                                "p50_ms_per_query": fast["p50_ms"]}
    else:
        search.update(fastest_index=None, measured_p50_ms=None, met=None, reason=f"{GOAL_SEARCH_CHUNKS} is not among --sizes")
    rr = {"goal": f"rerank of the top {RERANK_K} under {GOAL_RERANK_MS:g} ms (p50 per call)", "threshold_ms": GOAL_RERANK_MS}
    if rerank:
        rr.update(measured_p50_ms=rerank["p50_ms"], met=rerank["p50_ms"] < GOAL_RERANK_MS,
                  compute_needed_gflops=round(rerank["approx_gflop_per_call"] / (GOAL_RERANK_MS / 1000)))
    else:
        rr.update(measured_p50_ms=None, met=None, reason="rerank skipped (--no-rerank)")
    return [search, rr]


def machine(threads: int, load_start: tuple) -> dict:
    import bm25s
    import faiss
    import sentence_transformers
    import torch
    from importlib.metadata import version

    info = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "threads": {"torch": torch.get_num_threads(), "faiss_openmp": faiss.omp_get_max_threads()},
            "load_average_1min_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
            "versions": {"numpy": np.__version__, "faiss-cpu": faiss.__version__, "qdrant-client": version("qdrant-client"),
                         "bm25s": bm25s.__version__, "torch": torch.__version__,
                         "sentence-transformers": sentence_transformers.__version__}}
    try:
        from threadpoolctl import threadpool_info

        info["threads"]["blas"] = [{"library": p.get("internal_api"), "num_threads": p.get("num_threads")}
                                   for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        info["threads"]["blas"] = "unknown (threadpoolctl not installed)"
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 10_000, 100_000], help="vector index sizes, in chunks")
    parser.add_argument("--bm25-sizes", nargs="+", type=int, default=[1_000, 10_000], help="BM25 index sizes, in chunks")
    parser.add_argument("--batch", type=int, default=64, help="queries per call in batched mode")
    parser.add_argument("--single-calls", type=int, default=200, help="timed one-query calls per measurement (a quarter at 100k and for Qdrant)")
    parser.add_argument("--batched-calls", type=int, default=30, help="timed batched calls per measurement (a quarter at 100k and for Qdrant)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed one-query calls first (batched: one call)")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds after which a measurement stops (at least 3 calls)")
    parser.add_argument("--rerank-calls", type=int, default=30)
    parser.add_argument("--rerank-warmup", type=int, default=3)
    parser.add_argument("--rerank-budget", type=float, default=60.0, help="seconds after which the rerank measurement stops (at least 3 calls)")
    parser.add_argument("--no-rerank", action="store_true", help="skip the cross-encoder (no torch model load)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch, FAISS and BLAS threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and a few repeats: checks the script runs, measures nothing useful")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.bm25_sizes, args.batch = [200], [200], 8
        args.single_calls, args.batched_calls, args.warmup, args.budget = 8, 4, 1, 2.0
        args.rerank_calls, args.rerank_warmup, args.rerank_budget = 3, 1, 2.0
    if min(args.sizes + args.bm25_sizes) < K or args.batch < 1:
        parser.error(f"sizes must be at least {K} chunks and --batch at least 1")

    load_start = os.getloadavg()
    started = time.perf_counter()
    import torch

    torch.set_num_threads(args.threads)
    set_search_threads(args.threads)
    gflops_start = matmul_gflops(args.threads)

    from ragft import load_eval_set

    notes: list[str] = []
    vector_rows, builds, agreement = vector_benchmarks(args, notes)
    real = kb_chunks()
    questions = [row["question"] for row in load_eval_set()]
    bm25_rows = bm25_benchmarks(args, real, questions)
    rerank = None if args.no_rerank else rerank_benchmark(args, real, questions[0], notes)

    result = {
        "benchmark": "Retrieval latency per query: exact top-10 vector search (NumPy, FAISS IndexFlatIP, Qdrant local mode), "
                     "BM25 (bm25s), and cross-encoder rerank of the top 20",
        "machine": {**machine(args.threads, load_start),
                    "torch_matmul_gflops_start_end": [gflops_start, matmul_gflops(args.threads)]},
        "caveat": CAVEAT,
        "settings": {"quick": args.quick, "dim": DIM, "k": K, "seed": args.seed, "vector_sizes": args.sizes,
                     "bm25_sizes": args.bm25_sizes, "batch": args.batch, "single_calls": args.single_calls,
                     "batched_calls": args.batched_calls, "warmup_calls_single": args.warmup,
                     "warmup_batched": f"one call of {WARMUP_BATCH} queries", "rerank_calls": args.rerank_calls,
                     "rerank_warmup_calls": args.rerank_warmup, "rerank_budget_seconds": args.rerank_budget,
                     "budget_seconds_per_measurement": args.budget, "threads": args.threads,
                     "vectors": "seeded standard-normal 384-d vectors scaled to unit length (corpus and queries); float32",
                     "timing": "time.perf_counter around each call; batched figures are call time / queries_per_call; "
                               "p50 and p95 over calls (numpy.percentile, linear). Qdrant and 100k use a quarter of the calls, "
                               "Qdrant batched at 100k two calls",
                     "numpy": "scores = X @ q (or Q @ X.T), argpartition for the top 10, then sorted",
                     "qdrant": "QdrantClient(':memory:'), Distance.COSINE, upsert in batches of 5000 (build time includes it); "
                               "query_points / query_batch_points with with_payload=False",
                     "bm25": f"ragft.lexical.BM25Index (bm25s, k1=1.2, b=0.75, Snowball stemming, English stop words, n_threads=1); "
                             f"{PASSAGE_WORDS}-word knowledge-base chunks, topped up with synthetic chunks of words drawn "
                             "from the knowledge base's word frequencies; queries are evaluation-set questions; the time includes "
                             "tokenising the query",
                     "rerank": f"sentence_transformers.CrossEncoder.predict on {RERANK_K} (question, passage) pairs in one batch; "
                               f"passages are the BM25 top {RERANK_K} {PASSAGE_WORDS}-word knowledge-base chunks for the question"},
        "goals": [],
        "vector_search": vector_rows,
        "index_build": builds,
        "top10_agreement": agreement,
        "bm25": bm25_rows,
        "rerank": rerank,
        "notes": notes,
    }
    result["goals"] = goals(vector_rows, rerank)
    result["runtime_seconds"] = round(time.perf_counter() - started, 1)
    for g in result["goals"]:
        print(f"goal: {g['goal']}: measured {g['measured_p50_ms']} ms, met: {g['met']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written {args.output} in {result['runtime_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
