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


def adapter_folder(name: str) -> Path:
    """The cache folder of a trained adapter by its folder name (e.g. ``triage-1fdbdd9387d43b1c``, which notebook 07
    saves in its results). Raises ``FileNotFoundError`` saying how to build it when it is not there."""
    folder = cache_dir() / ADAPTERS_DIR_NAME / name
    if not (folder / "adapter_config.json").is_file():
        raise FileNotFoundError(f"no trained adapter {name!r} in {folder.parent}. Run the notebook that trains it "
                                "(07 for triage-...) with the same profile: it trains the adapter once and caches it there.")
    return folder


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


def train_lora(model_id: str, train_data, validation_data, folder: Path | str, *, r: int, alpha: int, targets: list[str],
               learning_rate: float, epochs: int, batch_size: int, eval_steps: int, max_length: int, seed: int = 0) -> Path:
    """Train a LoRA adapter with trl on prompt/completion ``Dataset``s and save it, its checkpoints and its
    training log into ``folder`` (see :func:`save_adapter`). The recipe notebook 07 builds step by step:
    Unsloth on a GPU where it is installed, transformers + peft elsewhere; loss on the completion only.
    """
    import time

    import torch
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    path = training_path()
    on_gpu = path != "peft-cpu"
    bf16 = on_gpu and torch.cuda.get_device_capability()[0] >= 8
    if path == "unsloth":
        from unsloth import FastLanguageModel
        base, tok = FastLanguageModel.from_pretrained(model_id, max_seq_length=max_length, load_in_4bit=True)
        base = FastLanguageModel.get_peft_model(base, r=r, lora_alpha=alpha, lora_dropout=0, target_modules=targets,
                                                random_state=seed, use_gradient_checkpointing="unsloth")
        peft_config, trainer_class = None, SFTTrainer
    else:
        from .models import load_generator
        base, tok = load_generator(model_id)
        peft_config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM")
        trainer_class = SFTTrainer if on_gpu else plain_loss_trainer_class()
    tok.padding_side = "right"  # training pads on the right; generation pads on the left
    has_validation = validation_data is not None and len(validation_data) > 0
    args = SFTConfig(
        output_dir=str(folder) + ".checkpoints", num_train_epochs=epochs, learning_rate=learning_rate,
        per_device_train_batch_size=batch_size, per_device_eval_batch_size=8, lr_scheduler_type="linear",
        warmup_steps=2, logging_steps=eval_steps // 2 or 1, eval_strategy="steps" if has_validation else "no",
        eval_steps=eval_steps, save_strategy="steps", save_steps=eval_steps, save_only_model=True, max_length=max_length,
        seed=seed, use_cpu=not on_gpu, bf16=bf16, fp16=on_gpu and not bf16, gradient_checkpointing=False,
        report_to="none", disable_tqdm=False)
    trainer = trainer_class(model=base, args=args, train_dataset=train_data,
                            eval_dataset=validation_data if has_validation else None, processing_class=tok,
                            peft_config=peft_config)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"]) * epochs
    log = {"path": path, "seconds": seconds, "steps": trainer.state.global_step, "trained_tokens": tokens,
           "tokens_per_second": tokens / seconds, **loss_curves(trainer.state.log_history),
           "peak_gpu_memory_gb": torch.cuda.max_memory_allocated() / 1e9 if on_gpu else None}
    return save_adapter(trainer.model, folder, log, checkpoints=Path(args.output_dir))
