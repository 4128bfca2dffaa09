"""Notebook 09's pieces: the prompts of the ladder, retrieval-aware fine-tuning examples (RAFT), and the
scores of one rung on questions and on tickets.

RAFT (Zhang et al., 2024, "RAFT: Adapting Language Model to Domain Specific RAG", arXiv:2403.10131) trains
a model on questions whose context holds the gold passage among distractors, and on some whose context
lacks it, so that it learns to answer from the right passage, cite it, and otherwise decline.
"""
from __future__ import annotations

import random

from .prompts import dated_messages

IDK = "I don't know."
CLOSED_BOOK_INSTRUCTIONS = ("You are the support assistant of Halden Systems. Answer in one short sentence. "
                            "If you do not know the answer, say: I don't know.")


def closed_book_messages(question: dict) -> list[dict]:
    """The question alone, with its date, for a model without retrieval (rungs 1 and 3)."""
    return [{"role": "system", "content": CLOSED_BOOK_INSTRUCTIONS},
            {"role": "user", "content": f"Question (asked on {question['asked_on']}): {question['question']}"}]


def gold_chunk(question: dict, chunks_by_doc: dict[str, list[dict]]) -> dict | None:
    """The chunk of a gold document that holds one of the question's gold passages whole (matched as the passage
    metrics of notebook 05 match them), or None when unanswerable or when no chunk holds one."""
    from .rag_eval import passage_ranks

    for passage in question.get("gold_passages", []):
        chunks = chunks_by_doc.get(passage["doc_id"], [])
        rank = passage_ranks([c["text"] for c in chunks], [passage["text"]])[0]
        if rank is not None:
            return chunks[rank - 1]
    return None


def raft_target(question: dict, gold_doc_id: str | None) -> str:
    """What the model should say: the gold answer citing the document of its passage, or "I don't know." when the
    context lacks that passage (``gold_doc_id`` None) or the question has no answer."""
    if gold_doc_id is None or not question["answer"]:
        return IDK
    return f"{question['answer']} [{gold_doc_id}]"


def leaked_ids(rows: list[dict], test_questions: list[dict]) -> list[str]:
    """Sorted ids of training rows (``id``, ``question``) that leak the test split: a test id, or a test question's
    text up to case and runs of spaces."""
    def key(text: str) -> str:
        return " ".join(text.lower().split())

    ids, texts = {q["id"] for q in test_questions}, {key(q["question"]) for q in test_questions}
    return sorted(r["id"] for r in rows if r["id"] in ids or key(r["question"]) in texts)


def raft_examples(questions: list[dict], retrieved: list[list[dict]], chunks_by_doc: dict[str, list[dict]],
                  docs_by_id: dict, passages: int = 2, without_gold: float = 0.2, seed: int = 0) -> list[dict]:
    """Training conversations for retrieval-aware fine-tuning, one per question.

    ``retrieved[i]`` are the passages the course's pipeline returns for ``questions[i]`` (best first). An
    answerable question gets its gold chunk among ``passages - 1`` retrieved distractors (shuffled, so the
    gold passage is not always first), and the gold answer citing it as the target; with probability
    ``without_gold`` its gold chunk is left out and the target is "I don't know.". An unanswerable question
    gets the retrieved passages and "I don't know.".

    Raises ``ValueError`` for a test-split question: the ladder is scored on those.
    """
    rng = random.Random(seed)
    rows = []
    for question, found in zip(questions, retrieved, strict=True):
        if question.get("split") == "test":
            raise ValueError(f"{question['id']} is a test question; RAFT examples come from the train and dev data only")
        gold = gold_chunk(question, chunks_by_doc) if question["answer"] else None
        distractors = [c for c in found if c["doc_id"] not in question["gold_doc_ids"]]
        if gold is not None and rng.random() >= without_gold:
            context = [gold] + distractors[:passages - 1]
            rng.shuffle(context)
        else:
            gold = None
            context = distractors[:passages]
        rows.append({"id": question["id"], "split": question["split"], "type": question["type"],
                     "prompt": dated_messages(question, context, docs_by_id),
                     "question": question["question"],
                     "completion": [{"role": "assistant", "content": raft_target(question, gold["doc_id"] if gold else None)}]})
    return rows


def ticket_with_context(row: dict, passages: list[dict], docs_by_id: dict) -> list[dict]:
    """A triage conversation (system prompt and ticket) with retrieved knowledge-base passages added after the ticket."""
    from .prompts import chunk_label

    context = "\n\n".join(f"{chunk_label(docs_by_id[c['doc_id']])}\n{c['text']}" for c in passages)
    system, ticket = row["messages"][0], row["messages"][1]
    return [system, {"role": "user", "content": f"{ticket['content']}\n\nKnowledge base passages:\n{context}"}]


def ticket_query(row: dict) -> str:
    """The text a ticket is retrieved with: its subject and body, without the date and plan header."""
    return row["messages"][1]["content"].split("\n\n", 1)[-1]


def question_scores(question: dict, answer: str, given: list[dict]) -> dict:
    """Every per-question figure of the ladder for one answer: its label, contains, token F1, stale (on a changed
    fact), abstained (on an unanswerable question), citations and groundedness (on the given passages)."""
    from .metrics import contains_answer, is_abstention, score_answer, token_f1
    from .rag_eval import citation_scores, support_ratio

    answerable = bool(question["answer"])
    given_ids = sorted({c["doc_id"] for c in given})
    citations = citation_scores(answer, given_ids, question["gold_doc_ids"])
    return {
        "id": question["id"], "type": question["type"], "answerable": answerable,
        "changed fact": bool(question.get("stale_answers")),
        "label": score_answer(answer, question),
        "contains": answerable and contains_answer(answer, [question["answer"], *question["answer_aliases"]]),
        "token F1": token_f1(answer, question["answer"]) if answerable else None,
        "stale": contains_answer(answer, question.get("stale_answers", [])),
        "abstains": is_abstention(answer),
        "cites": citations["cites a source"],
        "cites a gold source": citations["cites a gold source"],
        "cites only given": citations["cites only given sources"],
        "groundedness": support_ratio(answer, "\n".join(c["text"] for c in given)) if given else None,
    }


def ladder_summary(rows: list[dict]) -> dict:
    """Counts behind the ladder's rates for one rung's question scores: (successes, n) per measure."""
    answerable = [r for r in rows if r["answerable"]]
    changed = [r for r in rows if r["changed fact"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cited = [r for r in answerable if r["cites"]]
    return {
        "contains": (sum(r["contains"] for r in answerable), len(answerable)),
        "stale": (sum(r["stale"] for r in changed), len(changed)),
        "abstains": (sum(r["abstains"] for r in unanswerable), len(unanswerable)),
        "cites a gold source": (sum(r["cites a gold source"] for r in cited), len(cited)),
    }
