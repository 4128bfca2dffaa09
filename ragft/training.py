"""LoRA fine-tuning glue (taught in notebook 07): which training path runs, trl's trainer with a
plain PyTorch loss for CPUs, and a cache of trained adapters keyed by their data and settings."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

from .paths import cache_dir

#: Where trained adapters are kept between runs (one folder per data-and-settings key).
ADAPTERS_DIR_NAME = "adapters"
#: The file written beside an adapter with its loss curves and timings, so a reused adapter
#: shows the same figures as the run that trained it.
TRAINING_LOG = "training_log.json"


def training_path() -> str:
    """``"unsloth"`` on a CUDA GPU where Unsloth imports, ``"peft-gpu"`` on a GPU without it,
    else ``"peft-cpu"``.

    Only looks for Unsloth (``find_spec``); the notebook imports it, before transformers, peft
    and trl, as Unsloth requires.
    """
    import torch

    if not torch.cuda.is_available():
        return "peft-cpu"
    return "unsloth" if importlib.util.find_spec("unsloth") is not None else "peft-gpu"


def plain_loss_trainer_class():
    """trl's ``SFTTrainer`` with the loss computed by the model's own forward pass.

    Why: trl 1.15's ``SFTTrainer`` always computes its loss through a fused LM-head kernel written
    in Triton, which needs a GPU (on a CPU the first step fails). The model's own cross-entropy
    gives the same loss on the same labels (tests/test_training.py checks it), so on a CPU the
    course trains with this subclass; on a GPU it uses ``SFTTrainer`` itself.
    """
    from trl import SFTTrainer

    class PlainLossSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            outputs = model(**inputs, use_cache=False, num_items_in_batch=num_items_in_batch)
            return (outputs.loss, outputs) if return_outputs else outputs.loss

    return PlainLossSFTTrainer


def adapter_key(settings: dict, rows: list[dict]) -> str:
    """A short key for an adapter: the hash of its training settings and its training rows.

    Change a setting or a row and the key changes, so a stale adapter is never reused.
    """
    blob = json.dumps({"settings": settings, "rows": rows}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def adapter_dir(name: str, key: str) -> Path:
    """The cache folder of adapter ``name`` with ``key`` (it may not exist yet)."""
    return cache_dir() / ADAPTERS_DIR_NAME / f"{name}-{key}"


def cached_adapter(name: str, key: str) -> Path | None:
    """The folder of a complete cached adapter (weights, config and training log), or ``None``."""
    folder = adapter_dir(name, key)
    needed = ("adapter_config.json", "adapter_model.safetensors", TRAINING_LOG)
    return folder if all((folder / f).is_file() for f in needed) else None


def checkpoint_dir(folder: Path | str, step: int) -> Path:
    """The adapter saved at training step ``step`` inside a cached adapter's ``folder``.

    Raises ``FileNotFoundError`` naming the steps that were saved when there is none for ``step``.
    """
    path = Path(folder) / f"step-{step}"
    if not (path / "adapter_config.json").is_file():
        saved = sorted(int(p.name.split("-")[1]) for p in Path(folder).glob("step-*"))
        raise FileNotFoundError(f"no adapter saved at step {step} in {folder}; saved steps: {saved}")
    return path


def save_adapter(model, folder: Path | str, log: dict, checkpoints: Path | str | None = None) -> Path:
    """Save a peft model's final adapter, its training log and the adapters of the trainer's
    ``checkpoint-N`` folders (as ``step-N``) into ``folder``.

    Written whole, then moved into place, so an interrupted save never looks complete. The
    trainer's checkpoint folder is removed afterwards.
    """
    folder = Path(folder)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    (partial / TRAINING_LOG).write_text(json.dumps(log, indent=1), encoding="utf-8")
    if checkpoints is not None:
        for checkpoint in Path(checkpoints).glob("checkpoint-*"):
            step_dir = partial / f"step-{checkpoint.name.split('-')[1]}"
            step_dir.mkdir()
            for name in ("adapter_config.json", "adapter_model.safetensors"):
                shutil.copy2(checkpoint / name, step_dir / name)
        shutil.rmtree(checkpoints, ignore_errors=True)
    final_step = partial / f"step-{log.get('steps')}"
    if "steps" in log and not final_step.exists():  # the last step is always available as a checkpoint
        final_step.mkdir()
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy2(partial / name, final_step / name)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def load_training_log(folder: Path | str) -> dict:
    """The training log saved beside an adapter."""
    return json.loads((Path(folder) / TRAINING_LOG).read_text(encoding="utf-8"))


def loss_curves(log_history: list[dict]) -> dict:
    """Training and validation losses by step from a ``Trainer``'s ``state.log_history``."""
    train = [(e["step"], round(e["loss"], 4)) for e in log_history if "loss" in e and "eval_loss" not in e]
    valid = [(e["step"], round(e["eval_loss"], 4)) for e in log_history if "eval_loss" in e]
    return {"train": train, "validation": valid}
