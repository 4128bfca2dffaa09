"""Every solution notebook executes with smoke parameters through the course runner (papermill),
in this environment's kernel, and writes its results."""
import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from notebook_tools import SOLUTIONS
from ragft.run_course import main as run_course
from ragft.run_course import run_notebook

pytestmark = pytest.mark.slow


# The whole course in the smoke profile: the development tier (make test-quick). CI (make test) leaves it out and
# re-executes every committed solution with nbval instead, which runs the same notebooks at full size.
smoke_course = pytest.mark.smoke_course


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    status = run_course(["--profile", "smoke", "--out", str(out)])
    return out, status


@smoke_course
def test_every_notebook_runs_in_the_smoke_profile(smoke_run):
    out, status = smoke_run
    assert status == 0, (out / "scorecard.md").read_text()
    assert sorted(p.name for p in (out / "executed").glob("*.ipynb")) == [p.name for p in SOLUTIONS]


@smoke_course
def test_runner_records_times_and_a_scorecard(smoke_run):
    out, _ = smoke_run
    with open(out / "runs.csv") as f:
        runs = list(csv.DictReader(f))
    assert [r["notebook"] for r in runs] == [p.stem for p in SOLUTIONS]
    assert all(r["profile"] == "smoke" and r["status"] == "ok" and float(r["seconds"]) > 0 for r in runs)
    # each notebook carries its own finish time, not the end of the whole run
    assert len({r["finished_at"] for r in runs}) > 1
    card = (out / "scorecard.md").read_text()
    assert card.startswith("Profile: smoke") and all(p.stem in card for p in SOLUTIONS)


@smoke_course
def test_notebooks_save_their_headline_figures(smoke_run):
    out, _ = smoke_run
    figures = json.loads((out / "metrics" / "01_naive_rag.json").read_text())
    for key in ["recall@3", "MRR", "contains gold (model alone)", "contains gold (naive RAG)"]:
        assert 0.0 <= figures[key] <= 1.0, key
    assert json.loads((out / "metrics" / "00_setup_and_tour.json").read_text())["documents"] >= 120


@smoke_course
def test_rag_notebooks_pass_their_choices_along_and_save_their_figures(smoke_run):
    """02 chooses a chunking on dev that 03-05 use; 04's filter never lets a wrong version rank first more often than plain
    search; 05 scores every pipeline and the public benchmark."""
    out, _ = smoke_run
    chunking = json.loads((out / "metrics" / "02_chunking.json").read_text())
    hybrid = json.loads((out / "metrics" / "03_hybrid_search_and_reranking.json").read_text())
    filtering = json.loads((out / "metrics" / "04_metadata_filtering_with_qdrant.json").read_text())
    evaluation = json.loads((out / "metrics" / "05_evaluating_rag.json").read_text())
    assert hybrid["chunking"] == filtering["chunking"] == evaluation["chunking"] == chunking["chosen chunking"]
    assert filtering["right version first, validity filter"] >= filtering["right version first, plain vector search"]
    assert filtering["LlamaIndex agrees with the hand-written search"] == 1.0
    assert all(0.0 <= v <= 1.0 for k, v in evaluation.items() if k.startswith("test ") and isinstance(v, float))
    differences = {k: v for k, v in evaluation.items() if " difference, " in k}
    assert differences and all(len(v) == 3 and v[1] <= v[0] <= v[2] for v in differences.values())
    assert evaluation["test as_of_date questions"] > 0
    assert {"scifact ndcg@10, BM25 (bm25s, stemmed)", "scifact recall@100, RRF (BM25 + dense)"} <= set(evaluation)
    executed = (out / "executed" / "03_hybrid_search_and_reranking.ipynb").read_text()
    assert "no eval question among them" in executed and "RRF: top-10 identical to ranx for" in executed


@smoke_course
def test_finetuning_notebooks_record_their_path_and_figures(smoke_run):
    import torch

    out, _ = smoke_run
    lora = json.loads((out / "metrics" / "07_lora_finetuning.json").read_text())
    assert lora["training path"] == ("peft-cpu" if not torch.cuda.is_available() else lora["training path"])
    assert all(0.0 <= v <= 1.0 for k, v in lora.items() if k.endswith("schema-valid"))
    assert lora["LoRA, short prompt: prompt tokens"] < lora["LoRA: prompt tokens"]
    facts = json.loads((out / "metrics" / "08_when_finetuning_fails.json").read_text())
    assert all(0.0 <= v <= 1.0 for k, v in facts.items() if k.startswith("forgetting rate"))
    assert "training path: peft-cpu" in (out / "executed" / "07_lora_finetuning.ipynb").read_text() or torch.cuda.is_available()


@smoke_course
def test_the_ladder_the_scorecard_and_the_ledger_are_written(smoke_run):
    """09 scores five rungs with counts; 10 and the runner write the claims ledger for every promised claim."""
    from ragft.decision import RUNGS
    from ragft.ledger import CLAIMS, VERDICTS

    out, _ = smoke_run
    ladder = json.loads((out / "metrics" / "09_hybrid_rag_plus_finetuning.json").read_text())
    for rung in RUNGS:
        k, n = map(int, ladder[f"{rung}: contains"].split("/"))
        assert 0 <= k <= n and n > 0
        assert ladder[f"{rung}: median seconds"] > 0
    assert ladder["raft examples"] > 0 and ladder["retrieval median ms"] > 0
    rows = json.loads((out / "claims_ledger.json").read_text())
    assert [r["id"] for r in rows] == [c.id for c in CLAIMS] and all(r["verdict"] in VERDICTS for r in rows)
    # every notebook ran, so no claim lacks its figures
    assert not [r for r in rows if "has not run" in r["why"] or "lack" in r["why"]]
    decision = json.loads((out / "metrics" / "10_decision_framework.json").read_text())
    assert decision["claims"] == len(CLAIMS)


@smoke_course
def test_exercise_checks_pass_in_the_executed_solutions(smoke_run):
    out, _ = smoke_run
    text = (out / "executed" / "01_naive_rag.ipynb").read_text()
    for name in ["chunk_words", "cosine_top_k", "recall_at_k", "reciprocal_rank", "token_f1"]:
        assert f"✓ {name}: all" in text, name
    for notebook, names in {"02_chunking": ["pack_sentences", "split_by_headings", "choose_chunking"],
                            "03_hybrid_search_and_reranking": ["bm25_scores", "reciprocal_rank_fusion", "choose_rerank_depth"],
                            "04_metadata_filtering_with_qdrant": ["valid_on", "prefer_in_force", "choose_top_k"],
                            "05_evaluating_rag": ["support_ratio", "citation_scores", "choose_threshold"]}.items():
        text = (out / "executed" / f"{notebook}.ipynb").read_text()
        assert all(f"✓ {name}: all" in text for name in names), notebook


def test_kernel_is_this_environments_python(tmp_path):
    """papermill and nbval must run notebooks with the Python the course was installed into."""
    nb = new_notebook(cells=[new_code_cell("import sys\nprint(sys.executable)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "which_python.ipynb"
    nbformat.write(nb, source)
    run_notebook(source, tmp_path / "out.ipynb", profile=None, results=tmp_path)
    printed = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


def test_unknown_profile_stops_with_a_clear_message(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError, match="Use one of: smoke, default, t4"):
        run_notebook(SOLUTIONS[0], tmp_path / "out.ipynb", profile="fast", results=tmp_path)


def test_a_failing_notebook_is_reported_with_its_cause_and_other_profiles_keep_their_results(tmp_path, monkeypatch, capsys):
    """A chained error (the cause behind a hub error) reaches the terminal in full; a run writes only to its profile's folder."""
    import ragft.run_course as rc

    code = ("try:\n    raise ConnectionError('hub unreachable')\nexcept ConnectionError as exc:\n"
            "    raise RuntimeError('Model X was not found.\\n  - pip package: sha256 differs (a damaged file)') from exc")
    nb = new_notebook(cells=[new_code_cell("PROFILE = 'default'"), new_code_cell(code)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder = tmp_path / "solutions"
    folder.mkdir()
    nbformat.write(nb, folder / "99_broken.ipynb")
    monkeypatch.setattr(rc, "SOLUTIONS_DIR", folder)
    monkeypatch.setattr(rc, "COURSE_ROOT", tmp_path)
    (tmp_path / "results" / "default").mkdir(parents=True)
    (tmp_path / "results" / "default" / "scorecard.md").write_text("an earlier default run")
    assert rc.main(["--profile", "smoke"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: Model X was not found." in err and "sha256 differs (a damaged file)" in err
    assert "cell 2" in err and "99_broken.ipynb" in err  # cell 1 is papermill's injected parameters
    assert "without encryption" not in err, "the kernel's TCP warning would bury the cause"
    assert (tmp_path / "results" / "default" / "scorecard.md").read_text() == "an earlier default run"
    assert (tmp_path / "results" / "smoke" / "scorecard.md").read_text().startswith("Profile: smoke")
