"""Bad data gets a clear error that names the file and what to fix."""
from datetime import date

import pytest

from ragft.data import load_eval_set, load_finetune_set, load_jsonl
from ragft.kb import DataError, load_knowledge_base

GOOD = """---
id: {id}
title: A page
category: faq
product: relay
effective_date: {effective}
version: 1
supersedes: {supersedes}
valid_from: {valid_from}
valid_until: {valid_until}
---
Body text.
"""


def good(doc_id, supersedes="null", effective="2025-01-01", valid_from="2016-01-01", valid_until="9999-12-31"):
    return GOOD.format(id=doc_id, supersedes=supersedes, effective=effective, valid_from=valid_from, valid_until=valid_until)


def write_doc(folder, doc_id, text=None, **fields):
    path = folder / f"{doc_id}.md"
    path.write_text(text if text is not None else good(doc_id, **fields))
    return path


def test_loads_a_valid_folder(tmp_path):
    write_doc(tmp_path, "a-v1", valid_from="2025-01-01", valid_until="2025-06-01")
    write_doc(tmp_path, "a-v2", supersedes="a-v1", effective="2025-06-01", valid_from="2025-06-01")
    write_doc(tmp_path, "b")
    docs = load_knowledge_base(tmp_path)
    assert [d.id for d in docs] == ["a-v1", "a-v2", "b"]
    assert docs[1].supersedes == "a-v1" and docs[0].supersedes is None
    assert docs[0].text == "Body text.\n" and docs[0].word_count == 2
    day = date(2025, 5, 31)
    assert [d.id for d in docs if d.valid_on(day)] == ["a-v1", "b"]
    assert [d.id for d in docs if d.valid_on(date(2025, 6, 1))] == ["a-v2", "b"]
    assert docs[2].valid_on(date(2017, 1, 1)), "a document without versions holds for an old question too"


@pytest.mark.parametrize("fields, message", [
    (dict(valid_from="2025-01-01", valid_until="9999-12-31"), "versions give 2025-01-01/2025-06-01"),
    (dict(valid_from="2024-01-01", valid_until="2025-06-01"), "versions give 2025-01-01/2025-06-01"),
])
def test_validity_interval_must_follow_the_versions(tmp_path, fields, message):
    write_doc(tmp_path, "a-v1", **fields)
    write_doc(tmp_path, "a-v2", supersedes="a-v1", effective="2025-06-01", valid_from="2025-06-01")
    with pytest.raises(DataError, match=message) as err:
        load_knowledge_base(tmp_path)
    assert "a-v1.md" in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("no front matter here", "no front matter"),
    (good("bad").replace("category: faq", "category: gossip"), "category 'gossip'"),
    (good("bad").replace("version: 1\n", ""), "lacks version"),
    (good("bad").replace("2025-01-01", "soon"), "not a YYYY-MM-DD date"),
    (good("bad", valid_until="never"), "valid_until 'never' is not a YYYY-MM-DD date"),
    (good("other-name"), "differs from the file name"),
    ("---\nid: [unclosed\n---\nbody", "not valid YAML"),
])
def test_malformed_document_names_file_and_problem(tmp_path, text, message):
    write_doc(tmp_path, "bad", text)
    with pytest.raises(DataError, match=message) as err:
        load_knowledge_base(tmp_path)
    assert "bad.md" in str(err.value)


def test_unknown_supersedes_and_missing_folder(tmp_path):
    write_doc(tmp_path, "a-v2", supersedes="a-v1")
    with pytest.raises(DataError, match="supersedes 'a-v1'"):
        load_knowledge_base(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        load_knowledge_base(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="No \\*.md documents"):
        load_knowledge_base(tmp_path / "empty")


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1}\n\n{"id": 2,\n')
    with pytest.raises(DataError, match="rows.jsonl, line 3: not valid JSON"):
        load_jsonl(path)
    path.write_text('[1, 2]\n')
    with pytest.raises(DataError, match="line 1: each line must be a JSON object"):
        load_jsonl(path)


def test_eval_set_rejects_bad_rows_and_unknown_split(tmp_path):
    path = tmp_path / "eval.jsonl"
    path.write_text('{"id": "q1", "question": "?", "answer": "x", "answer_aliases": [], "gold_doc_ids": ["a"], '
                    '"gold_passages": [{"doc_id": "a", "text": "x"}], "stale_answers": [], "unsupported_terms": [], "type": "trivia", "asked_on": "2025-01-01", "as_of": "2025-01-01", "split": "dev"}\n')
    with pytest.raises(DataError, match="type 'trivia'"):
        load_eval_set(path=path)
    with pytest.raises(ValueError, match="split='train'"):
        load_eval_set("train")


ROW = {"id": "q9", "question": "How long is the trial?", "answer": "14 days", "answer_aliases": ["two weeks"],
       "gold_doc_ids": ["a"], "gold_passages": [{"doc_id": "a", "text": "x"}], "stale_answers": ["30 days"],
       "unsupported_terms": [], "type": "as_of_date", "asked_on": "2025-11-01", "as_of": "2025-11-01"}


@pytest.mark.parametrize("change, message", [
    ({"answer_aliases": ["14"]}, "bare short number"),
    ({"question": "Is the trial 14 days long?"}, "contains its own answer"),
    ({"stale_answers": ["14 days"]}, "overlaps the gold answer"),
    ({"stale_answers": []}, "stale_answers"),
    ({"unsupported_terms": ["WhatsApp"]}, "only for them"),
    ({"type": "unanswerable", "answer": "", "answer_aliases": [], "gold_doc_ids": [], "gold_passages": [], "stale_answers": []},
     "unsupported_terms are listed"),
    ({"answer_aliases": "two weeks"}, "list of non-empty strings"),
])
def test_unfair_answer_keys_are_rejected(change, message):
    from ragft.data import check_eval_row

    assert check_eval_row(ROW) == []
    assert any(message in p for p in check_eval_row({**ROW, **change})), check_eval_row({**ROW, **change})


def test_unknown_finetune_set_lists_the_real_ones():
    with pytest.raises(DataError, match="triage_train"):
        load_finetune_set("triage_training")


def test_version_in_force_rule(tmp_path):
    """A question or ticket about a changed fact must rely on the version in force on its date."""
    from ragft.data import check_eval_row, version_in_force_problem

    write_doc(tmp_path, "a-v1", valid_from="2025-01-01", valid_until="2025-06-01")
    write_doc(tmp_path, "a-v2", supersedes="a-v1", effective="2025-06-01", valid_from="2025-06-01")
    write_doc(tmp_path, "b")
    docs = {d.id: d for d in load_knowledge_base(tmp_path)}
    assert version_in_force_problem("a-v1", date(2025, 3, 1), docs) is None
    assert "replaced on 2025-06-01" in version_in_force_problem("a-v1", date(2025, 7, 1), docs)
    assert "takes effect 2025-06-01" in version_in_force_problem("a-v2", date(2025, 3, 1), docs)
    assert version_in_force_problem("b", date(2020, 1, 1), docs) is None, "a document without versions fits any date"
    row = {"id": "q1", "question": "?", "answer": "x", "answer_aliases": [], "gold_doc_ids": ["a-v1"], "type": "as_of_date",
           "gold_passages": [{"doc_id": "a-v1", "text": "Body text."}], "stale_answers": ["y"], "unsupported_terms": [],
           "asked_on": "2025-08-01", "as_of": "2025-08-01"}
    assert any("replaced on 2025-06-01" in p for p in check_eval_row(row, docs))
    assert check_eval_row({**row, "as_of": "2025-02-01"}, docs) == []
