"""Integrity of the course data: the knowledge base, the evaluation set and the fine-tuning sets."""
import json
import re
from collections import Counter
from datetime import date

import pytest

from ragft.check_data import main as check_data
from ragft.check_data import triage_problems
from ragft.data import (QUESTION_TYPES, check_eval_row, check_messages_row, load_eval_set, load_finetune_set, load_jsonl,
                        normalize_space, version_in_force_problem)
from ragft.kb import load_knowledge_base
from ragft.paths import DATA_DIR, FINETUNE_DIR
from ragft.triage import SYSTEM_PROMPT, make_example, schema_errors, ticket_text

FINETUNE_SETS = ["triage_train", "triage_test", "facts_old", "general_heldout"]


@pytest.fixture(scope="module")
def docs():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def docs_by_id(docs):
    return {d.id: d for d in docs}


@pytest.fixture(scope="module")
def questions():
    return load_eval_set()


def test_knowledge_base_size_and_shape(docs):
    assert len(docs) >= 120
    assert sum(d.word_count for d in docs) >= 60_000
    categories = Counter(d.category for d in docs)
    assert len(categories) >= 8, categories
    lengths = sorted(d.word_count for d in docs)
    assert lengths[0] < 400 and lengths[-1] > 1000, "documents should vary in length"


def test_knowledge_base_has_tables_lists_code_and_faqs(docs):
    texts = [d.text for d in docs]
    assert sum("\n|" in t for t in texts) >= 20, "markdown tables"
    assert sum(bool(re.search(r"^\s*(-|\d+\.) ", t, re.M)) for t in texts) >= 60, "lists"
    assert sum("```" in t for t in texts) >= 10, "code samples"
    assert sum(d.category == "release-notes" for d in docs) >= 4


def test_versions_change_facts_and_both_versions_exist(docs_by_id):
    revised = [d for d in docs_by_id.values() if d.supersedes]
    assert len(revised) >= 10
    for new in revised:
        old = docs_by_id[new.supersedes]
        assert new.effective_date > old.effective_date, f"{new.id} must take effect after {old.id}"
        assert new.version > old.version


def test_world_changing_facts_are_in_their_documents(docs_by_id):
    """Each changing fact of data/world.md: both documents exist and the newer supersedes the older."""
    table = [line for line in (DATA_DIR / "world.md").read_text().splitlines() if re.match(r"\| F\d+ ", line)]
    assert len(table) >= 10
    for line in table:
        old_id, new_id = re.findall(r"`([a-z0-9-]+)`", line)
        assert old_id in docs_by_id and new_id in docs_by_id, line
        assert docs_by_id[new_id].supersedes == old_id, line


def test_eval_set_size_types_and_splits(questions):
    """Enough questions per type for intervals that can separate systems."""
    assert len(questions) >= 420
    types = Counter(q["type"] for q in questions)
    tests = Counter(q["type"] for q in questions if q["split"] == "test")
    for qtype in QUESTION_TYPES:
        assert types[qtype] >= 60, f"{qtype}: {types[qtype]} questions"
        assert tests[qtype] >= 40, f"{qtype}: {tests[qtype]} test questions"
    splits = Counter(q["split"] for q in questions)
    assert splits["dev"] >= 120 and splits["test"] >= 280, splits
    for qtype in QUESTION_TYPES:
        assert {q["split"] for q in questions if q["type"] == qtype} == {"dev", "test"}, qtype


def test_eval_ids_unique_and_rows_valid(questions, docs_by_id):
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids))
    problems = [p for q in questions for p in check_eval_row(q, docs_by_id)]
    assert not problems, problems[:10]


def test_every_gold_passage_occurs_in_its_document(questions, docs_by_id):
    for q in questions:
        for passage in q["gold_passages"]:
            assert normalize_space(passage["text"]) in normalize_space(docs_by_id[passage["doc_id"]].text), q["id"]


def test_as_of_date_questions_use_both_old_and_new_versions(questions, docs_by_id):
    dated = [q for q in questions if q["type"] == "as_of_date"]
    gold_docs = [docs_by_id[d] for q in dated for d in q["gold_doc_ids"]]
    assert any(d.supersedes for d in gold_docs), "some answers come from the new version"
    assert any(d.id in {x.supersedes for x in docs_by_id.values()} for d in gold_docs), "some from the old version"


def test_eval_gold_versions_are_in_force_on_the_as_of_date(questions, docs_by_id):
    problems = [(q["id"], version_in_force_problem(d, date.fromisoformat(q["as_of"]), docs_by_id))
                for q in questions for d in q["gold_doc_ids"]]
    assert not [p for p in problems if p[1]], [p for p in problems if p[1]][:5]


@pytest.mark.parametrize("name", FINETUNE_SETS)
def test_finetune_rows_valid(name):
    rows = load_finetune_set(name)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), name
    assert not [p for r in rows for p in check_messages_row(r)]


def test_finetune_set_sizes():
    assert len(load_finetune_set("triage_train")) >= 600
    assert len(load_finetune_set("triage_test")) >= 150
    assert len(load_finetune_set("general_heldout")) >= 150
    facts = load_finetune_set("facts_old")
    assert len({r["fact"] for r in facts}) >= 10


@pytest.mark.parametrize("name", ["triage_train", "triage_test"])
def test_triage_answers_are_schema_valid_and_cite_versions_in_force(name, docs_by_id):
    """Schema-valid, existing documents, and for a changed fact the version in force when the ticket arrived."""
    problems = [p for row in load_finetune_set(name) for p in triage_problems(row, docs_by_id)]
    assert not problems, problems[:5]


def test_no_reply_names_what_an_unanswerable_question_asks(questions):
    from ragft.check_data import unsupported_reply_problems

    rows = load_finetune_set("triage_train") + load_finetune_set("triage_test")
    assert all(q["unsupported_terms"] for q in questions if q["type"] == "unanswerable")
    assert not unsupported_reply_problems(rows, questions)
    planted = json.loads(json.dumps(rows[0]))
    answer = json.loads(planted["messages"][-1]["content"])
    term = next(q["unsupported_terms"][0] for q in questions if q["type"] == "unanswerable")
    planted["messages"][-1]["content"] = json.dumps({**answer, "reply": f"Yes, {term} works on every plan."})
    assert unsupported_reply_problems([planted], questions), "the check catches a planted reply"


def test_triage_test_split_is_stratified():
    """Enough rare labels in the test split to score them (at least 5 P1 tickets)."""
    labels = lambda name: [json.loads(r["messages"][-1]["content"]) for r in load_finetune_set(name)]  # noqa: E731
    train, test = labels("triage_train"), labels("triage_test")
    assert sum(t["priority"] == "P1" for t in test) >= 5
    for field in ["category", "priority"]:
        for value, count in Counter(t[field] for t in train).items():
            share_train, share_test = count / len(train), sum(t[field] == value for t in test) / len(test)
            assert abs(share_train - share_test) < 0.05, (field, value, share_train, share_test)


@pytest.mark.slow
def test_facts_old_prompts_are_not_near_copies_of_eval_questions(questions):
    """The fine-tuning-for-facts experiment must not win by memorising test questions."""
    from ragft import load_embedder

    embedder = load_embedder()
    prompts = [r["messages"][0]["content"] for r in load_finetune_set("facts_old")]
    similarity = embedder.encode(prompts, normalize_embeddings=True) @ embedder.encode(
        [q["question"] for q in questions], normalize_embeddings=True).T
    worst = similarity.max(axis=1)
    assert worst.max() < 0.7, [(prompts[i], float(worst[i])) for i in worst.argsort()[-3:]]


def test_most_tickets_need_a_knowledge_base_fact():
    rows = load_finetune_set("triage_train") + load_finetune_set("triage_test")
    with_kb = sum(bool(json.loads(r["messages"][-1]["content"])["kb_ids"]) for r in rows)
    assert with_kb >= 0.6 * len(rows)


def _user_texts(name):
    return [normalize_space(m["content"]).lower() for r in load_finetune_set(name) for m in r["messages"] if m["role"] == "user"]


def test_no_eval_question_appears_in_any_training_file(questions):
    training = " \n ".join(t for name in ["triage_train", "facts_old"] for t in _user_texts(name))
    leaked = [q["id"] for q in questions if normalize_space(q["question"]).lower() in training]
    assert not leaked, leaked


def test_no_test_ticket_appears_in_training_files():
    train = set(_user_texts("triage_train"))
    bodies = lambda texts: {t.split("subject:", 1)[-1] for t in texts}  # noqa: E731 - ignore the date/plan header
    assert not bodies(_user_texts("triage_test")) & bodies(train)
    assert not set(_user_texts("general_heldout")) & (train | set(_user_texts("facts_old")))


def test_every_jsonl_file_parses():
    for path in sorted(DATA_DIR.rglob("*.jsonl")):
        assert load_jsonl(path), path


def test_data_card_reports_the_real_counts(docs, questions):
    card = (DATA_DIR / "DATA_CARD.md").read_text()
    words = sum(d.word_count for d in docs)
    for figure in [f"{len(docs)} documents", f"{words:,} words", f"{len(questions)} questions",
                   f"{len(load_finetune_set('triage_train'))} train", f"{len(load_finetune_set('triage_test'))} test"]:
        assert figure in card, f"DATA_CARD.md should state '{figure}'"
    assert (FINETUNE_DIR / "triage_schema.json").is_file()


def test_check_data_command_finds_no_problem(capsys):
    assert check_data() == 0, capsys.readouterr().out[-2000:]


def test_triage_rows_are_built_by_make_example():
    """The committed rows use the course's system prompt and ticket layout, and a bad answer is refused."""
    row = load_finetune_set("triage_test")[0]
    system, user, assistant = row["messages"]
    assert system["content"] == SYSTEM_PROMPT
    header, body = user["content"].split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in header.splitlines())
    rebuilt = make_example(row["id"], fields["Received"], fields["Plan"], fields["Subject"], body, json.loads(assistant["content"]))
    assert rebuilt == row
    assert ticket_text("2025-01-02", "Team", "hi", " body ") == "Received: 2025-01-02\nPlan: Team\nSubject: hi\n\nbody"
    with pytest.raises(ValueError, match="breaks the schema"):
        make_example("x", "2025-01-02", "Team", "hi", "body", {**json.loads(assistant["content"]), "priority": "urgent"})
