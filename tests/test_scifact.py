"""The SciFact loader, its retrieval pipelines, evaluation and the training data for a reranker."""
import json
import math

import pytest

from ragft import scifact
from ragft.scifact import (SciFact, adapt_embedder, bm25_run, embedder_triplets, evaluate, load_scifact, read_qrels,
                           reranker_examples, rrf_run, scifact_dir, split_train, subset, train_claims, train_qrels)

CORPUS = [
    {"_id": "d1", "title": "Aspirin", "text": "Aspirin lowers the risk of heart attack."},
    {"_id": "d2", "title": "Statins", "text": "Statins lower cholesterol in adults."},
    {"_id": "d3", "title": "Vitamin D", "text": "Vitamin D does not prevent fractures in the elderly."},
    {"_id": "d4", "title": "Sleep", "text": "Short sleep raises blood pressure."},
    {"_id": "d5", "title": "Coffee", "text": "Coffee intake is linked with lower liver disease risk."},
]
CLAIMS = [
    {"_id": "1", "text": "Aspirin reduces heart attacks.", "metadata": {"d1": [{"sentences": [0], "label": "SUPPORT"}]}},
    {"_id": "2", "text": "Statins raise cholesterol.", "metadata": {"d2": [{"sentences": [0], "label": "CONTRADICT"}]}},
    {"_id": "3", "text": "Vitamin D prevents fractures.", "metadata": {}},
    # test claims: their metadata must never be read
    {"_id": "10", "text": "Short sleep raises blood pressure.", "metadata": {"d3": [{"sentences": [0], "label": "SUPPORT"}]}},
    {"_id": "11", "text": "Coffee protects the liver.", "metadata": {"d5": [{"sentences": [0], "label": "SUPPORT"}]}},
]


def write_scifact(folder, qrels_text="query-id\tcorpus-id\tscore\r\n10\td4\t1\r\n11\td5\t1\r\n"):
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({**d, "metadata": {}}) + "\n" for d in CORPUS))
    (folder / "queries.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CLAIMS))
    (folder / "qrels" / "test.tsv").write_bytes(qrels_text.encode())
    return folder


@pytest.fixture
def data(tmp_path):
    return load_scifact(write_scifact(tmp_path / "scifact"))


def test_qrels_with_crlf_line_endings_parse_to_clean_ids(tmp_path):
    path = tmp_path / "test.tsv"
    path.write_bytes(b"query-id\tcorpus-id\tscore\r\n1\t31715818\t1\r\n1\t42\t1\r\n3\t14717500\t1\r\n")
    assert read_qrels(path) == {"1": {"31715818": 1, "42": 1}, "3": {"14717500": 1}}


def test_a_malformed_qrels_row_names_its_line(tmp_path):
    path = tmp_path / "test.tsv"
    path.write_bytes(b"query-id\tcorpus-id\tscore\r\n1\t31715818\t1\r\n3 14717500 1\r\n")
    with pytest.raises(ValueError, match=r"test.tsv line 3: expected 'query-id<TAB>corpus-id<TAB>integer score'"):
        read_qrels(path)
    path.write_bytes(b"1\td1\tyes\n")
    with pytest.raises(ValueError, match="line 1"):
        read_qrels(path)


def test_load_splits_test_and_train_claims_and_never_reads_test_metadata(data):
    corpus, queries, qrels, train = data
    assert [d["_id"] for d in corpus] == ["d1", "d2", "d3", "d4", "d5"] and set(corpus[0]) == {"_id", "title", "text"}
    assert queries == {"10": "Short sleep raises blood pressure.", "11": "Coffee protects the liver."}
    assert qrels == {"10": {"d4": 1}, "11": {"d5": 1}}
    assert [c["_id"] for c in train] == ["1", "2", "3"]
    assert [c["evidence"] for c in train] == [["d1"], ["d2"], []]
    assert all("metadata" not in c for c in train)
    assert train_claims(data) == {"1": "Aspirin reduces heart attacks.", "2": "Statins raise cholesterol."}
    assert train_qrels(data) == {"1": {"d1": 1}, "2": {"d2": 1}}


def test_qrels_naming_an_unknown_document_is_an_error(tmp_path):
    folder = write_scifact(tmp_path / "scifact", "query-id\tcorpus-id\tscore\r\n10\td99\t1\r\n")
    with pytest.raises(ValueError, match="d99"):
        load_scifact(folder)


def test_missing_folder_error_names_both_places_and_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv("RAGFT_SCIFACT_DIR", raising=False)
    monkeypatch.setattr(scifact, "COURSE_ROOT", tmp_path / "course")
    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as error:
        scifact_dir()
    message = str(error.value)
    assert str(tmp_path / "shared" / "benchmarks" / "scifact") in message
    assert str(tmp_path / "cache" / "scifact") in message
    assert "download_scifact" in message and "RAGFT_SCIFACT_DIR" in message


def test_the_environment_variable_picks_the_folder(tmp_path, monkeypatch):
    folder = write_scifact(tmp_path / "mine")
    monkeypatch.setenv("RAGFT_SCIFACT_DIR", str(folder))
    assert scifact_dir() == folder
    monkeypatch.setenv("RAGFT_SCIFACT_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="RAGFT_SCIFACT_DIR"):
        scifact_dir()


def test_metrics_on_a_hand_made_run():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1, "d3": 1}, "q3": {"d9": 1}}
    run = {"q1": {"d5": 2.0, "d1": 1.0}, "q2": {"d2": 3.0, "d3": 2.0, "d4": 1.0}, "q_unjudged": {"d1": 1.0}}
    scores = evaluate(qrels, run)  # q3 is missing from the run: it scores 0
    assert scores["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1.0 + 0.0) / 3)
    assert scores["recall@100"] == pytest.approx((1 + 1 + 0) / 3)
    assert evaluate(qrels, run, ("recall@1",)) == {"recall@1": pytest.approx((0 + 0.5 + 0) / 3)}


def test_rrf_and_bm25_runs(data):
    run = rrf_run([{"q": {"a": 3.0, "b": 2.0}}, {"q": {"b": 9.0, "c": 1.0}}], depth=2)
    assert list(run["q"]) == ["b", "a"]
    assert run["q"]["b"] == pytest.approx(1 / 62 + 1 / 61)
    bm25 = bm25_run(data.corpus, data.queries, k=3)
    assert set(bm25) == {"10", "11"} and len(bm25["10"]) == 3
    assert next(iter(bm25["10"])) == "d4"  # same words as the claim


def test_training_examples_use_train_claims_only(data):
    runs = [bm25_run(data.corpus, train_claims(data), k=5)]
    examples = reranker_examples(data, runs, n_negatives=2)
    claims = {q for q, _, _ in examples}
    assert claims == {"Aspirin reduces heart attacks.", "Statins raise cholesterol."}
    positives = [(q, p) for q, p, label in examples if label == 1.0]
    assert positives == [("Aspirin reduces heart attacks.", "Aspirin Aspirin lowers the risk of heart attack."),
                         ("Statins raise cholesterol.", "Statins Statins lower cholesterol in adults.")]
    assert sum(label == 0.0 for _, _, label in examples) == 4
    assert all(p not in dict(positives).values() or label == 1.0 for _, p, label in examples if p.startswith("Aspirin"))
    test_run = bm25_run(data.corpus, data.queries, k=5)  # retrieval for the test claims must not feed training
    with pytest.raises(ValueError, match="test queries must not be used for training"):
        reranker_examples(data, [runs[0], test_run])
    with pytest.raises(ValueError, match="test quer"):
        reranker_examples(data, runs, ids=["1", "10"])


def test_embedder_triplets_use_train_claims_only(data):
    runs = [bm25_run(data.corpus, train_claims(data), k=5)]
    triplets = embedder_triplets(data, runs)
    assert [(q, p) for q, p, _ in triplets] == [
        ("Aspirin reduces heart attacks.", "Aspirin Aspirin lowers the risk of heart attack."),
        ("Statins raise cholesterol.", "Statins Statins lower cholesterol in adults.")]
    assert all(n != p for _, p, n in triplets)
    with pytest.raises(ValueError, match="test queries must not be used for training"):
        embedder_triplets(data, [bm25_run(data.corpus, data.queries, k=5)])
    with pytest.raises(ValueError, match="triplets"):
        adapt_embedder([("q", "p", "")], "bad")


def test_split_of_train_claims_is_seeded_and_disjoint(data):
    fit, dev = split_train(data, dev_fraction=0.5, seed=0)
    assert sorted(fit + dev) == ["1", "2"] and not set(fit) & set(dev)
    assert split_train(data, dev_fraction=0.5, seed=0) == (fit, dev)


def test_subset_keeps_judged_documents_and_is_deterministic(data):
    small = subset(data, n_queries=1, n_docs=3, seed=0)
    assert isinstance(small, SciFact)
    assert small.queries == {"10": data.queries["10"]} and small.qrels == {"10": {"d4": 1}}
    assert len(small.corpus) == 3 and "d4" in {d["_id"] for d in small.corpus}
    assert small == subset(data, n_queries=1, n_docs=3, seed=0)
    kept = {d["_id"] for d in small.corpus}
    assert all(set(c["evidence"]) <= kept and c["evidence"] for c in small.train)


def test_the_shared_copy_has_the_documented_counts():
    try:
        folder = scifact_dir()
    except FileNotFoundError:
        pytest.skip("SciFact is not on this machine")
    corpus, queries, qrels, train = load_scifact(folder)
    assert (len(corpus), len(queries), sum(map(len, qrels.values())), len(train)) == (5183, 300, 339, 809)
    assert not {c["_id"] for c in train} & set(queries)
    assert sum(bool(c["evidence"]) for c in train) > 400
