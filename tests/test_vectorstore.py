"""The Qdrant vector store and its LlamaIndex twin: idempotent indexing, the date filter, persistence,
a clear error for a missing server, the same top-k through both APIs, and no network call anywhere."""
import socket
from datetime import date, timedelta

import numpy as np
import pytest
from qdrant_client import models

import ragft
from ragft import vectorstore as vs
from ragft.chunking import chunk_words

FAMILIES = ("policy-refunds", "pricing-plans", "relay-sms")  # documents with two versions each
UNVERSIONED = 3
K_ALL = 1000  # larger than any test collection: "every point that passes the filter"


@pytest.fixture(scope="module")
def kb():
    """A few real documents (three families with two versions, three without), chunked simply,
    with random unit vectors (the store does not care where vectors come from)."""
    docs = ragft.load_knowledge_base()
    versioned = [d for d in docs if d.id.rsplit("-v", 1)[0] in FAMILIES]
    plain = [d for d in docs if not d.supersedes and d.valid_until == ragft.kb.OPEN_END][:UNVERSIONED]
    subset = versioned + plain
    assert len(versioned) == 2 * len(FAMILIES)
    chunks = [{"chunk_id": f"{d.id}#{i}", "doc_id": d.id, "text": text}
              for d in subset for i, text in enumerate(chunk_words(d.text, 120, 20))]
    vectors = np.random.default_rng(0).normal(size=(len(chunks), 384)).astype("float32")
    return {"docs": {d.id: d for d in subset}, "chunks": chunks, "vectors": vectors / np.linalg.norm(vectors, axis=1, keepdims=True)}


@pytest.fixture(autouse=True)
def local_qdrant(monkeypatch):
    """Every test runs Qdrant in process, whatever the developer's shell sets."""
    monkeypatch.delenv("QDRANT_URL", raising=False)
    monkeypatch.delenv("QDRANT_API_KEY", raising=False)


@pytest.fixture
def client(kb):
    client = vs.qdrant_client()
    vs.index_chunks(client, "kb", kb["chunks"], kb["vectors"], kb["docs"])
    yield client
    client.close()


@pytest.fixture
def llama_settings():
    """Put LlamaIndex's global Settings back after a test that changes them."""
    from llama_index.core import Settings

    saved = Settings._llm, Settings._embed_model
    yield Settings
    Settings._llm, Settings._embed_model = saved


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test (and is recorded)."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] or args)
        raise AssertionError(f"network connection attempted: {args[1:] or args}")

    for target, name in [(socket.socket, "connect"), (socket.socket, "connect_ex"), (socket, "create_connection"), (socket, "getaddrinfo")]:
        monkeypatch.setattr(target, name, refuse)
    return attempts


def test_the_network_guard_catches_a_connection(no_network):
    """The guard is not vacuous: a real client's request is stopped and recorded."""
    from qdrant_client import QdrantClient

    with pytest.raises(Exception):
        QdrantClient(url="http://127.0.0.1:6333", check_compatibility=False).get_collections()
    assert no_network, "the attempt was recorded"


def test_indexing_twice_gives_the_same_points(client, kb):
    chunks = kb["chunks"]
    assert vs.index_chunks(client, "kb", chunks, kb["vectors"], kb["docs"]) == len(chunks)
    assert client.count("kb", exact=True).count == len(chunks)
    points, _ = client.scroll("kb", limit=K_ALL, with_payload=True)
    assert {str(p.id) for p in points} == {vs.point_id(c["chunk_id"]) for c in chunks}
    payload = next(p.payload for p in points if p.payload["chunk_id"] == chunks[0]["chunk_id"])
    doc = kb["docs"][chunks[0]["doc_id"]]
    assert payload["text"] == chunks[0]["text"] and payload["title"] == doc.title and payload["version"] == doc.version
    assert payload["valid_from"] == doc.valid_from.isoformat() and payload["valid_until_int"] == vs.day_number(doc.valid_until)


def test_mismatched_vectors_are_refused(client, kb):
    with pytest.raises(ValueError, match="one vector per chunk"):
        vs.index_chunks(client, "kb", kb["chunks"], kb["vectors"][:-1], kb["docs"])


def boundary_days(docs):
    """Every day a version starts or ends, the day before it, and one long before and after."""
    days = {date(2016, 6, 1), date(2030, 1, 1)}
    for d in docs.values():
        for edge in (d.valid_from, d.valid_until):
            if edge < ragft.kb.OPEN_END:
                days |= {edge, edge - timedelta(days=1)}
    return sorted(days)


def test_date_filter_keeps_exactly_the_versions_in_force(client, kb):
    docs = kb["docs"]
    query = kb["vectors"][0]
    unfiltered = {h["doc_id"] for h in vs.search(client, "kb", query, K_ALL)}
    assert unfiltered == set(docs), "without a filter, every version is a candidate"
    for day in boundary_days(docs):
        kept = {h["doc_id"] for h in vs.search(client, "kb", query, K_ALL, vs.valid_on(day))}
        assert kept == {d.id for d in docs.values() if d.valid_on(day)}, day
        for family in FAMILIES:  # at most one version of a family on any day; exactly one once it exists
            versions = {i for i in kept if i.startswith(family + "-v")}
            first = docs[family + "-v1"].valid_from
            assert len(versions) == (1 if day >= first else 0), (day, family, versions)


def test_iso_dates_work_with_a_datetime_range_too(client, kb):
    """The ISO strings in the payload filter the same way with Qdrant's DatetimeRange (checked in local mode)."""
    day = date(2025, 3, 1)
    by_datetime = models.Filter(must=[
        models.FieldCondition(key="valid_from", range=models.DatetimeRange(lte=day)),
        models.FieldCondition(key="valid_until", range=models.DatetimeRange(gt=day)),
    ])
    ids = lambda f: [h["chunk_id"] for h in vs.search(client, "kb", kb["vectors"][1], K_ALL, f)]  # noqa: E731
    assert ids(by_datetime) == ids(vs.valid_on(day)) and ids(by_datetime)


def test_exact_match_filters_combine_with_the_date_filter(client, kb):
    day = "2025-01-15"
    hits = vs.search(client, "kb", kb["vectors"][2], K_ALL, vs.all_of(vs.valid_on(day), vs.matching(product="relay")))
    expected = {d.id for d in kb["docs"].values() if d.product == "relay" and d.valid_on(date.fromisoformat(day))}
    assert {h["doc_id"] for h in hits} == expected == {"relay-sms-v1"}
    assert all(h["product"] == "relay" for h in hits)


def test_search_returns_payloads_best_first(client, kb):
    hits = vs.search(client, "kb", kb["vectors"][3], 5)
    assert len(hits) == 5 and hits[0]["chunk_id"] == kb["chunks"][3]["chunk_id"]  # a vector is nearest to itself
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_prefer_in_force_moves_stale_versions_down_and_keeps_order():
    hits = [{"chunk_id": n, "valid_from_int": a, "valid_until_int": b} for n, a, b in [
        ("old-1", 20240101, 20250301), ("new-1", 20250301, 99991231), ("old-2", 20240101, 20250301),
        ("always", 20160101, 99991231), ("new-2", 20250301, 99991231),
    ]]
    assert [h["chunk_id"] for h in vs.prefer_in_force(hits, "2025-06-01")] == ["new-1", "always", "new-2", "old-1", "old-2"]
    assert [h["chunk_id"] for h in vs.prefer_in_force(hits, date(2024, 6, 1))] == ["old-1", "old-2", "always", "new-1", "new-2"]


def test_a_folder_keeps_the_collection_and_can_be_reopened(tmp_path, kb, capsys):
    path = tmp_path / "qdrant"
    first = vs.qdrant_client(path)
    assert "stored in" in capsys.readouterr().out
    n = vs.index_chunks(first, "kb", kb["chunks"], kb["vectors"], kb["docs"])
    second = vs.qdrant_client(path)  # re-running the cell: the first client lets go of the folder
    assert second.count("kb", exact=True).count == n
    second.close()
    third = vs.qdrant_client(str(path))  # after a restart of the kernel, as it were
    assert third.count("kb", exact=True).count == n
    assert vs.search(third, "kb", kb["vectors"][0], 1)[0]["chunk_id"] == kb["chunks"][0]["chunk_id"]
    third.close()


def test_in_memory_is_the_default(capsys):
    client = vs.qdrant_client()
    assert "in memory" in capsys.readouterr().out and vs.is_local(client)
    client.close()


@pytest.mark.parametrize("url", ["closed-port", "http://no-such-host.invalid:6333", "not a url"])
def test_unreachable_server_gives_a_clear_error(monkeypatch, url, recwarn):
    with socket.socket() as s:  # a port nothing listens on: bind, note it, close
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}" if url == "closed-port" else url
    monkeypatch.setenv("QDRANT_URL", url)
    with pytest.raises(vs.QdrantUnavailableError) as err:
        vs.qdrant_client()
    message = str(err.value)
    assert f"QDRANT_URL={url}" in message
    assert "docker run -p 6333:6333 qdrant/qdrant" in message and "unset QDRANT_URL" in message
    assert not recwarn.list, "the error replaces the client's own warnings"


# --- LlamaIndex -------------------------------------------------------------------------------

def test_llamaindex_returns_the_same_top_k_as_query_points(client, kb):
    from llama_index.core.embeddings import MockEmbedding

    from ragft import llamaindex_glue as lg

    nodes = lg.nodes_from_chunks(kb["chunks"], kb["vectors"], kb["docs"])
    index = lg.llamaindex_index(client, "kb_llamaindex", nodes, embed_model=MockEmbedding(embed_dim=384))
    assert client.count("kb_llamaindex", exact=True).count == len(nodes)
    index = lg.llamaindex_index(client, "kb_llamaindex", nodes, embed_model=MockEmbedding(embed_dim=384))
    assert client.count("kb_llamaindex", exact=True).count == len(nodes), "re-running adds no duplicates"
    queries = np.random.default_rng(1).normal(size=(5, 384))
    for day in (None, "2024-12-31", "2025-03-01", "2026-01-01"):
        for q in queries:
            ours = vs.search(client, "kb", q, 8, vs.valid_on(day) if day else None)
            theirs = lg.retrieve_ids(index, q, 8, lg.date_filters(day) if day else None)
            assert [h["chunk_id"] for h in ours] == [cid for cid, _ in theirs], day
            assert [h["score"] for h in ours] == pytest.approx([s for _, s in theirs], abs=1e-6)
    relay = lg.retrieve_ids(index, queries[0], K_ALL, lg.date_filters("2025-01-15", product="relay"))
    assert {cid.split("#")[0] for cid, _ in relay} == {"relay-sms-v1"}


def test_building_the_llamaindex_index_embeds_nothing_again(client, kb):
    from llama_index.core.embeddings import MockEmbedding

    from ragft import llamaindex_glue as lg

    class CountingEmbedding(MockEmbedding):
        texts_embedded: int = 0

        def _get_text_embeddings(self, texts):
            self.texts_embedded += len(texts)
            return super()._get_text_embeddings(texts)

        def _get_text_embedding(self, text):
            self.texts_embedded += 1
            return super()._get_text_embedding(text)

    counter = CountingEmbedding(embed_dim=384)
    nodes = lg.nodes_from_chunks(kb["chunks"], kb["vectors"], kb["docs"])
    lg.llamaindex_index(client, "kb_llamaindex", nodes, embed_model=counter)
    assert counter.texts_embedded == 0
    stored = client.scroll("kb_llamaindex", limit=1, with_vectors=True)[0][0]
    chunk = next(i for i, c in enumerate(kb["chunks"]) if vs.point_id(c["chunk_id"]) == str(stored.id))
    assert np.allclose(stored.vector, kb["vectors"][chunk], atol=1e-6), "the stored vector is the one we computed"


def test_llamaindex_makes_no_network_call_and_never_uses_openai(client, kb, no_network, llama_settings, capsys):
    from llama_index.core.llms import MockLLM

    from ragft import llamaindex_glue as lg
    from ragft.models import DEFAULT_EMBEDDER, resolve_model

    lg.configure_llamaindex()
    settings = llama_settings
    assert isinstance(settings.llm, MockLLM)
    assert "openai" not in type(settings.llm).__module__.lower() and "openai" not in type(settings.embed_model).__module__.lower()
    assert type(settings.embed_model).__name__ == "HuggingFaceEmbedding"
    assert settings.embed_model.model_name == str(resolve_model(DEFAULT_EMBEDDER).path), "read from the local folder"
    nodes = lg.nodes_from_chunks(kb["chunks"], kb["vectors"], kb["docs"])
    index = lg.llamaindex_index(client, "kb_llamaindex", nodes)
    hits = lg.retrieve_ids(index, "How many days do customers have to ask for a refund?", 3, lg.date_filters("2025-06-01"))
    assert len(hits) == 3
    engine = index.as_query_engine(similarity_top_k=2, filters=lg.date_filters("2025-06-01"))
    assert "How many days" in str(engine.query("How many days do customers have to ask for a refund?"))  # MockLLM echoes its prompt
    assert no_network == []
    assert "llm MockLLM" in capsys.readouterr().out


def test_llamaindex_embedder_gives_the_course_embedders_vectors(llama_settings):
    from ragft import llamaindex_glue as lg

    lg.configure_llamaindex()
    sentence = "Refunds are available within 30 days of purchase."
    ours = ragft.load_embedder().encode(sentence)
    assert np.allclose(llama_settings.embed_model.get_text_embedding(sentence), ours, atol=1e-5)
    assert np.allclose(llama_settings.embed_model.get_query_embedding(sentence), ours, atol=1e-5)


@pytest.mark.slow
def test_transformers_llm_answers_greedily_and_streams_the_same_text(no_network, llama_settings):
    from ragft import llamaindex_glue as lg

    model, tokenizer = ragft.load_generator()
    lg.configure_llamaindex(llm=(model, tokenizer))
    llm = llama_settings.llm
    assert isinstance(llm, lg.TransformersLLM) and llm.metadata.is_chat_model
    llm.max_new_tokens = 8
    answer = llm.complete("What is the capital of France?").text
    assert answer and answer == llm.complete("What is the capital of France?").text, "greedy: the same every time"
    pieces = list(llm.stream_complete("What is the capital of France?"))
    assert pieces[-1].text == "".join(p.delta for p in pieces) == answer
    reply = llm.chat([lg.ChatMessage(role="user", content="What is the capital of France?")])
    assert reply.message.content == answer, "chat and complete format a user turn the same way"
    assert no_network == []


def test_a_folder_in_the_results_folder_reads_the_same_wherever_that_folder_is(tmp_path, monkeypatch):
    # A committed notebook prints this line; nbval compares it on machines whose results folder differs.
    for place in (tmp_path / "elsewhere", tmp_path / "other" / "place"):
        monkeypatch.setenv("RAGFT_RESULTS_DIR", str(place))
        assert vs._shown(place / "qdrant_demo") == "results/qdrant_demo"
    monkeypatch.delenv("RAGFT_RESULTS_DIR")
    from ragft.paths import COURSE_ROOT
    existed = (COURSE_ROOT / "results").exists()
    assert vs._shown(COURSE_ROOT / "data" / "kb") == "data/kb"
    assert vs._shown(tmp_path / "somewhere") == "somewhere"
    assert (COURSE_ROOT / "results").exists() == existed, "naming a folder must not create results/"
