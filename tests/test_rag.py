"""The RAG track's helpers (notebooks 02-05): chunkers, BM25, fusion, passage-level scores, groundedness,
citations, the question-date rule and the best pipeline."""
import re

import numpy as np
import pytest

from notebook_tools import SOLUTIONS, read
from ragft.chunking import (build_chunks, fit_token_limit, markdown_chunks, pack_sentences, recursive_split, semantic_breakpoints,
                            semantic_chunks, split_by_headings, text_units, token_chunks)
from ragft.checks import bm25_reference
from ragft.fusion import reciprocal_rank_fusion, weighted_fusion
from ragft.rag_eval import citation_scores, cited_ids, passage_ranks, passage_scores, score_rankings, support_ratio
from ragft.vectorstore import date_of_question

DOC = """# Refund Policy

Intro sentence one. Intro sentence two!

## 1. Window

You can ask within **30 days**. We count from the invoice date.

| Plan | Within 30 days |
|---|---|
| Monthly | Full refund |

- a list item
- another item
"""
words = lambda text: len(text.split())  # noqa: E731 (a stand-in token counter)


def test_text_units_keep_tables_whole_and_split_sentences():
    units = text_units(DOC)
    assert "# Refund Policy" in units and "## 1. Window" in units
    assert "Intro sentence one." in units and "Intro sentence two!" in units
    assert "| Plan | Within 30 days |\n|---|---|\n| Monthly | Full refund |" in units
    assert "- a list item" in units


def test_pack_sentences_respects_the_budget_and_overlaps():
    s = ["a b c", "d e", "f g h i", "j"]
    assert pack_sentences(s, 5, 0) == ["a b c\nd e", "f g h i\nj"]
    chunks = pack_sentences(s, 5, 1)
    assert chunks[1].startswith("d e")  # the last sentence of chunk 0 opens chunk 1
    assert all(words(c) <= 5 for c in chunks)
    assert pack_sentences(["one two three four five six"], 2, 1) == ["one two three four five six"]  # a long sentence on its own
    with pytest.raises(ValueError):
        pack_sentences(s, 0)


def test_markdown_sections_and_title_prefix():
    sections = split_by_headings(DOC)
    assert [s.splitlines()[0] for s in sections] == ["# Refund Policy", "## 1. Window"]
    chunks = markdown_chunks(DOC, "Refund Policy", 100)
    assert chunks[1].startswith("Refund Policy\n## 1. Window") and not chunks[0].startswith("Refund Policy\n#")


def test_recursive_split_and_token_limit_fit_every_chunk():
    text = " ".join(f"w{i}" for i in range(300)) + "\n\n" + DOC
    chunks = recursive_split(text, 40, words)
    assert all(words(c) <= 40 for c in chunks)
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())  # nothing lost, nothing repeated
    assert all(words(c) <= 7 for c in fit_token_limit(["a b c d e f g h i j k l m n o p"], 7, words))


class OffsetTokenizer:
    """Whitespace 'tokens' with character offsets, like a fast Hugging Face tokenizer."""

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=True, verbose=False):
        return {"offset_mapping": [m.span() for m in re.finditer(r"\S+", text)]}


def test_token_chunks_cut_the_original_text_at_token_boundaries():
    text = "alpha beta\ngamma delta epsilon zeta"
    assert token_chunks(text, OffsetTokenizer(), 3, 1) == ["alpha beta\ngamma", "gamma delta epsilon", "epsilon zeta"]
    assert token_chunks("", OffsetTokenizer(), 3) == []


def test_semantic_breakpoints_cut_where_the_topic_changes():
    vectors = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1], [0.05, 1]], dtype=float)
    assert semantic_breakpoints(vectors, percentile=70) == [1]
    assert semantic_chunks(["a", "b", "c", "d", "e"], vectors, max_words=10, percentile=70) == ["a\nb", "c\nd\ne"]


def test_build_chunks_names_the_strategies_on_a_typo():
    with pytest.raises(ValueError, match="unknown chunking"):
        build_chunks("markdown", [], None, "m")


def test_bm25_index_matches_the_formula():
    import bm25s
    import Stemmer

    from ragft.lexical import BM25Index

    texts = ["The refund window is 30 days", "Refunds are approved by finance", "API keys rotate every 90 days", "seats and plans"]
    index = BM25Index(texts)
    stem = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(texts + ["refunds window"], stopwords="en", stemmer=stem, return_ids=False, show_progress=False)
    assert np.allclose(index.scores("refunds window"), bm25_reference(tokens[-1], tokens[:-1]), atol=1e-5)
    ids, _ = index.search(["refunds window", "rotate keys"], k=2)
    assert ids[0][0] == 0 and ids[1][0] == 2


def test_fusion_by_hand_equals_ranx():
    from ranx import Run, fuse

    a = {"q": {"d1": 0.9, "d2": 0.8, "d3": 0.1}}
    b = {"q": {"d3": 12.0, "d1": 3.0, "d4": 1.0}}
    rrf = fuse([Run(a), Run(b)], method="rrf", params={"k": 60}).to_dict()["q"]
    mine = reciprocal_rank_fusion([["d1", "d2", "d3"], ["d3", "d1", "d4"]], k=60)
    assert list(mine) == sorted(rrf, key=lambda d: -rrf[d]) and all(np.isclose(mine[d], rrf[d]) for d in mine)
    wsum = fuse([Run(a), Run(b)], norm="min-max", method="wsum", params={"weights": [0.3, 0.7]}).to_dict()["q"]
    mine = weighted_fusion([a["q"], b["q"]], [0.3, 0.7])
    assert all(np.isclose(mine[d], wsum[d]) for d in wsum)
    with pytest.raises(ValueError):
        weighted_fusion([a["q"]], [0.5, 0.5])


def test_passage_level_scores():
    chunks = ["nothing here", "the refund window is **30 days** from the charge", "30 days"]
    assert passage_ranks(chunks, ["refund window is 30 days", "not anywhere"]) == [2, None]
    scores = passage_scores([2, None], k=5, depth=10)
    assert scores["passage recall@5"] == 0.5
    assert np.isclose(scores["passage nDCG@10"], (1 / np.log2(3)) / (1 + 1 / np.log2(3)))


def test_score_rankings_agrees_with_the_hand_metrics_of_notebook_01():
    from ragft.metrics import recall_at_k, reciprocal_rank

    chunks = {f"{d}#{i}": {"doc_id": d, "text": f"{d} text {i}"} for d in "abcde" for i in range(2)}
    questions = [{"id": "q1", "type": "lookup", "gold_doc_ids": ["b"], "gold_passages": [{"doc_id": "b", "text": "b text 1"}]},
                 {"id": "q2", "type": "multi_doc", "gold_doc_ids": ["a", "e"], "gold_passages": [{"doc_id": "e", "text": "e text 0"}]},
                 {"id": "q3", "type": "unanswerable", "gold_doc_ids": [], "gold_passages": []}]
    rankings = {"q1": ["a#0", "a#1", "c#0", "b#0", "b#1"], "q2": ["e#1", "c#1", "e#0", "d#0", "b#0", "a#0"], "q3": ["a#0"]}
    frame = score_rankings(questions, rankings, chunks).set_index("id")
    assert list(frame.index) == ["q1", "q2"]  # unanswerable questions have no retrieval score
    docs = {"q1": ["a", "c", "b"], "q2": ["e", "c", "d", "b", "a"]}
    for q in questions[:2]:
        assert np.isclose(frame.loc[q["id"], "recall@5"], recall_at_k(docs[q["id"]], q["gold_doc_ids"], 5))
        assert np.isclose(frame.loc[q["id"], "MRR"], reciprocal_rank(docs[q["id"]], q["gold_doc_ids"]))
    assert frame.loc["q1", "passage recall@5"] == 1.0 and frame.loc["q2", "passage recall@5"] == 1.0


def test_groundedness_and_citations():
    context = "Refunds over $5,000 are approved by the Finance Controller."
    assert support_ratio("The Finance Controller [policy-refunds-v2].", context) == 1.0
    assert support_ratio("The CFO approves.", context) == 0.0  # 'cfo' and 'approves' are not in the context
    assert support_ratio("I don't know", context) == 1.0 or support_ratio("I don't know", context) == 0.0
    assert cited_ids("x [a-1] y [b] [a-1]") == ["a-1", "b"]
    assert citation_scores("see [made-up]", ["a"], ["a"]) == {"cites a source": True, "cites only given sources": False,
                                                              "cites a gold source": False}
    assert citation_scores("plain", ["a"], ["a"])["cites only given sources"] is False


@pytest.mark.parametrize("text, asked, expected", [
    ("Back in February 2025, how many days?", "2025-11-20", "2025-02-15"),
    ("I started on 1 October 2025. How much can I spend?", "2025-11-18", "2025-11-18"),
    ("On 2025-04-10 someone bought a chair. What was the threshold on that date?", "2025-11-01", "2025-04-10"),
    ("My trial ended on 2025-11-03, can I get a refund?", "2025-11-20", "2025-11-20"),
    ("How long is the refund window?", "2025-11-04", "2025-11-04"),
])
def test_date_of_question(text, asked, expected):
    assert str(date_of_question(text, asked)) == expected


def test_rag_prompt_in_the_package_is_notebook_01s():
    """ragft.prompts holds notebook 01's dated layout: the same messages for the same inputs."""
    import ragft
    from ragft import prompts

    nb = read(next(p for p in SOLUTIONS if p.name.startswith("01_")))
    source = next(c.source for c in nb.cells if c.cell_type == "code" and "def dated_messages" in c.source)
    namespace = {"ragft": ragft}
    exec(source, namespace)
    docs = ragft.load_knowledge_base()
    namespace["docs_by_id"] = docs_by_id = {d.id: d for d in docs}
    question = {"asked_on": "2025-11-04", "question": "How long is the refund window?"}
    retrieved = [{"doc_id": "policy-refunds-v2", "text": "30 days"}, {"doc_id": docs[0].id, "text": "other"}]
    assert namespace["dated_messages"](question, retrieved) == prompts.dated_messages(question, retrieved, docs_by_id)
    assert namespace["RAG_INSTRUCTIONS"] == prompts.RAG_INSTRUCTIONS


def test_best_pipeline_filters_by_the_questions_date():
    import ragft
    from ragft.pipeline import RetrievalPipeline

    docs = [d for d in ragft.load_knowledge_base() if d.id.startswith("policy-refunds") or d.id.startswith("billing-")]
    docs_by_id = {d.id: d for d in docs}
    embedder = ragft.load_embedder()
    from ragft.lexical import BM25Index
    from ragft.retrieval import encode_cached

    chunks = build_chunks("markdown sections", docs, embedder, "sentence-transformers/all-MiniLM-L6-v2")
    vectors = encode_cached(embedder, [c["text"] for c in chunks], "sentence-transformers/all-MiniLM-L6-v2")
    pipeline = RetrievalPipeline(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), BM25Index([c["text"] for c in chunks]),
                                 embedder, docs_by_id, reranker=None)
    question = "How many days do I have to ask for a refund?"
    now, back_then = pipeline(question, "2025-11-04", k=10), pipeline(question, "2025-02-01", k=10)
    assert len(now) == 10 and {"chunk_id", "doc_id", "text", "score"} <= set(now[0])
    assert all(docs_by_id[h["doc_id"]].valid_on(ragft.kb.date(2025, 11, 4)) for h in now)
    assert "policy-refunds-v1" not in {h["doc_id"] for h in now} and "policy-refunds-v2" not in {h["doc_id"] for h in back_then}
    unfiltered = RetrievalPipeline(**{**pipeline.__dict__, "date_filter": False})(question, "2025-11-04", k=20)
    assert {"policy-refunds-v1", "policy-refunds-v2"} <= {h["doc_id"] for h in unfiltered}
