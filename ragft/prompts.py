"""The RAG prompt of notebook 01 (its "dated" layout, chosen there on dev), reused by notebooks 03-05.

The same code as notebook 01's cells; ``tests/test_rag.py`` checks the two agree.
"""
from __future__ import annotations

from .kb import KB_EPOCH, OPEN_END

RAG_INSTRUCTIONS = ("You are the support assistant of Halden Systems. Answer the question using only the context. "
                    "Answer in one short sentence and cite the source id in square brackets, like [relay-error-codes]. "
                    "If the context does not contain the answer, say: I don't know.")


def chunk_label(doc) -> str:
    """The chunk's source id, with the dates its document is in force when it has versions."""
    if doc.valid_from == KB_EPOCH and doc.valid_until == OPEN_END:
        return f"[{doc.id}]"
    until = "now" if doc.valid_until == OPEN_END else str(doc.valid_until)
    return f"[{doc.id}] (in force {doc.valid_from} to {until})"


def dated_messages(question: dict, retrieved: list[dict], docs_by_id: dict) -> list[dict]:
    """Chat messages asking ``question`` over the ``retrieved`` chunks, each labelled with its source and dates."""
    context = "\n\n".join(f"{chunk_label(docs_by_id[c['doc_id']])}\n{c['text']}" for c in retrieved)
    return [{"role": "system", "content": RAG_INSTRUCTIONS},
            {"role": "user", "content": f"Context:\n{context}\n\nQuestion (asked on {question['asked_on']}): {question['question']}"}]
