"""Bad data gets a clear error that names the file and what to fix."""
import pytest

from ragft.data import load_eval_set, load_finetune_set, load_jsonl
from ragft.kb import DataError, load_knowledge_base

GOOD = """---
id: {id}
title: A page
category: faq
product: relay
effective_date: 2025-01-01
version: 1
supersedes: {supersedes}
---
Body text.
"""


def write_doc(folder, doc_id, text=None, supersedes="null"):
    path = folder / f"{doc_id}.md"
    path.write_text(text if text is not None else GOOD.format(id=doc_id, supersedes=supersedes))
    return path


def test_loads_a_valid_folder(tmp_path):
    write_doc(tmp_path, "a-v1")
    write_doc(tmp_path, "a-v2", supersedes="a-v1")
    docs = load_knowledge_base(tmp_path)
    assert [d.id for d in docs] == ["a-v1", "a-v2"]
    assert docs[1].supersedes == "a-v1" and docs[0].supersedes is None
    assert docs[0].text == "Body text.\n" and docs[0].word_count == 2


@pytest.mark.parametrize("text, message", [
    ("no front matter here", "no front matter"),
    (GOOD.format(id="bad", supersedes="null").replace("category: faq", "category: gossip"), "category 'gossip'"),
    (GOOD.format(id="bad", supersedes="null").replace("version: 1\n", ""), "lacks version"),
    (GOOD.format(id="bad", supersedes="null").replace("2025-01-01", "soon"), "not a YYYY-MM-DD date"),
    (GOOD.format(id="other-name", supersedes="null"), "differs from the file name"),
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
                    '"gold_passages": [{"doc_id": "a", "text": "x"}], "type": "trivia", "asked_on": "2025-01-01", "as_of": "2025-01-01", "split": "dev"}\n')
    with pytest.raises(DataError, match="type 'trivia'"):
        load_eval_set(path=path)
    with pytest.raises(ValueError, match="split='train'"):
        load_eval_set("train")


def test_unknown_finetune_set_lists_the_real_ones():
    with pytest.raises(DataError, match="triage_train"):
        load_finetune_set("triage_training")


def test_version_in_force_rule(tmp_path):
    """A question or ticket about a changed fact must rely on the version in force on its date."""
    from datetime import date

    from ragft.data import check_eval_row, version_in_force_problem

    write_doc(tmp_path, "a-v1")
    (tmp_path / "a-v2.md").write_text(GOOD.format(id="a-v2", supersedes="a-v1").replace("2025-01-01", "2025-06-01").replace("version: 1", "version: 2"))
    write_doc(tmp_path, "b")
    docs = {d.id: d for d in load_knowledge_base(tmp_path)}
    assert version_in_force_problem("a-v1", date(2025, 3, 1), docs) is None
    assert "replaced by a-v2" in version_in_force_problem("a-v1", date(2025, 7, 1), docs)
    assert "takes effect 2025-06-01" in version_in_force_problem("a-v2", date(2025, 3, 1), docs)
    assert version_in_force_problem("b", date(2020, 1, 1), docs) is None, "a document without versions fits any date"
    row = {"id": "q1", "question": "?", "answer": "x", "answer_aliases": [], "gold_doc_ids": ["a-v1"], "type": "as_of_date",
           "gold_passages": [{"doc_id": "a-v1", "text": "Body text."}], "asked_on": "2025-08-01", "as_of": "2025-08-01"}
    assert any("replaced by a-v2" in p for p in check_eval_row(row, docs))
    assert check_eval_row({**row, "as_of": "2025-02-01"}, docs) == []
