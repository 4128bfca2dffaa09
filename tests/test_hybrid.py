"""Notebook 09's helpers: RAFT examples never come from the test split, their targets, leaks, per-answer scores;
and notebook 10's costs and decision helper."""
import math

import pytest

import ragft
from ragft import hybrid
from ragft.decision import UseCase, break_even_queries, cost_per_1000_queries, recommend
from ragft.ledger import Results


@pytest.fixture(scope="module")
def data():
    docs_by_id = {d.id: d for d in ragft.load_knowledge_base()}
    questions = ragft.load_eval_set()
    dev = [q for q in questions if q["split"] == "dev"]
    # one chunk per gold passage (with text around it) and one unrelated chunk per document
    chunks_by_doc = {}
    for q in dev:
        for p in q["gold_passages"]:
            chunks_by_doc.setdefault(p["doc_id"], []).append(
                {"chunk_id": f"{p['doc_id']}#gold", "doc_id": p["doc_id"], "text": f"Intro.\n\n{p['text']}\n\nMore."})
    retrieved = [[{"chunk_id": f"{d}#x", "doc_id": d, "text": "unrelated"} for d in sorted(docs_by_id)[i % 50:i % 50 + 4]]
                 for i, _ in enumerate(dev)]
    return docs_by_id, questions, dev, chunks_by_doc, retrieved


def test_raft_examples_hold_the_gold_passage_and_cite_it(data):
    docs_by_id, _, dev, chunks_by_doc, retrieved = data
    rows = hybrid.raft_examples(dev, retrieved, chunks_by_doc, docs_by_id, passages=2, without_gold=0.0)
    for q, row in zip(dev, rows):
        target = row["completion"][0]["content"]
        context = row["prompt"][1]["content"]
        if q["answer"]:
            gold = hybrid.gold_chunk(q, chunks_by_doc)
            assert gold is not None and target == f"{q['answer']} [{gold['doc_id']}]"
            assert gold["text"] in context and context.count("\n\n[") + 1 >= 2  # the gold chunk among a distractor
        else:
            assert target == hybrid.IDK
        assert row["split"] == "dev" and q["question"] in context


def test_without_gold_the_target_is_i_dont_know_and_the_gold_is_absent(data):
    docs_by_id, _, dev, chunks_by_doc, retrieved = data
    rows = hybrid.raft_examples(dev, retrieved, chunks_by_doc, docs_by_id, passages=2, without_gold=1.0)
    assert all(r["completion"][0]["content"] == hybrid.IDK for r in rows)
    assert not any("#gold" in r["prompt"][1]["content"] or hybrid.gold_chunk(q, chunks_by_doc) and
                   hybrid.gold_chunk(q, chunks_by_doc)["text"] in r["prompt"][1]["content"] for q, r in zip(dev, rows))
    some = hybrid.raft_examples(dev, retrieved, chunks_by_doc, docs_by_id, without_gold=0.3, seed=1)
    share = sum(r["completion"][0]["content"] == hybrid.IDK for r, q in zip(some, dev) if q["answer"]) / sum(bool(q["answer"]) for q in dev)
    assert 0.15 < share < 0.45


def test_raft_examples_refuse_test_questions(data):
    docs_by_id, questions, _, chunks_by_doc, _ = data
    test_question = next(q for q in questions if q["split"] == "test")
    with pytest.raises(ValueError, match="test question"):
        hybrid.raft_examples([test_question], [[]], chunks_by_doc, docs_by_id)


def test_leaked_ids_catches_ids_and_reworded_spacing(data):
    _, questions, dev, _, _ = data
    test = [q for q in questions if q["split"] == "test"]
    rows = [{"id": q["id"], "question": q["question"]} for q in dev[:5]]
    assert hybrid.leaked_ids(rows, test) == []
    rows += [{"id": "extra-1", "question": "  " + test[0]["question"].upper() + " "}, {"id": test[1]["id"], "question": "x"}]
    assert hybrid.leaked_ids(rows, test) == sorted(["extra-1", test[1]["id"]])


def test_question_scores_label_stale_abstained_and_citations(data):
    _, questions, _, _, _ = data
    changed = next(q for q in questions if q["stale_answers"] and q["answer"])
    given = [{"doc_id": changed["gold_doc_ids"][0], "text": changed["gold_passages"][0]["text"]}]
    right = hybrid.question_scores(changed, f"{changed['answer']} [{changed['gold_doc_ids'][0]}]", given)
    assert right["contains"] and not right["stale"] and right["cites a gold source"] and right["cites only given"]
    stale = hybrid.question_scores(changed, f"It is {changed['stale_answers'][0]}.", given)
    assert stale["stale"] and stale["label"] == "stale"
    unanswerable = next(q for q in questions if not q["answer"])
    declined = hybrid.question_scores(unanswerable, "I don't know.", [])
    assert declined["abstains"] and declined["label"] == "correct" and declined["groundedness"] is None
    counts = hybrid.ladder_summary([right, stale, declined])
    assert counts["contains"] == (1, 2) and counts["stale"] == (1, 2) and counts["abstains"] == (1, 1)


def test_costs_and_break_even():
    assert cost_per_1000_queries(3.6, 1.0) == pytest.approx(1.0)
    assert break_even_queries(1.0, 0.003, 0.001) == 500
    assert break_even_queries(1.0, 0.0029, 0.001) == 527  # rounded up
    assert break_even_queries(1.0, 0.001, 0.001) == math.inf


def test_recommend_follows_the_use_case_and_quotes_figures():
    results = Results({
        "07_lora_finetuning": {"test tickets": 16, "LoRA: schema-valid": 0.5, "base, zero-shot: schema-valid": 0.0,
                               "base, constrained: schema-valid": 0.125},
        "08_when_finetuning_fails": {"held-out questions": 14, "held-out old value after 5 epochs, several wordings": 0.4286,
                                     "fine-tuned (old facts), asked after the change: stale": 0.4286,
                                     "RAG (base model), asked after the change: stale": 0.0},
    })
    assert recommend(UseCase(knowledge=True, facts_change=True), results).answer == "RAG"
    assert recommend(UseCase(knowledge=False, strict_format=True, examples=600), results).answer == "fine-tune"
    assert recommend(UseCase(knowledge=True, strict_format=True, examples=600), results).answer == "both"
    assert recommend(UseCase(knowledge=False, strict_format=True, examples=10), results).answer == "prompt the base model"
    assert recommend(UseCase(knowledge=False), results).answer == "prompt the base model"
    text = str(recommend(UseCase(knowledge=True, facts_change=True, strict_format=True, examples=600, must_abstain=True), results))
    assert "6/14" in text and "8/16" in text  # the run's own figures, with counts
    assert "not measured in this run" in text  # 05 and 09 are absent: said, not guessed
