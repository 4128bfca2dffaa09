"""Fine-tuning glue: the CPU loss workaround, the adapter cache, triage scoring, constrained decoding."""
import json
import math

import pytest

from ragft.data import load_finetune_set
from ragft.training import (TRAINING_LOG, adapter_dir, adapter_key, cached_adapter, checkpoint_dir, load_training_log,
                            loss_curves, save_adapter, training_path)
from ragft.triage import (SHORT_SYSTEM_PROMPT, few_shot_conversation, kb_ids_precision_recall, parse_triage,
                          triage_report, with_system_prompt)


@pytest.fixture(scope="module")
def generator():
    import torch

    from ragft.models import load_generator

    torch.manual_seed(0)
    return load_generator()


@pytest.mark.slow
def test_plain_loss_trainer_computes_the_completion_only_cross_entropy(generator, tmp_path):
    """The CPU workaround gives the loss the task defines: mean cross-entropy over the answer tokens only."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig

    from ragft.training import plain_loss_trainer_class

    model, tokenizer = generator
    tokenizer.padding_side = "right"
    rows = load_finetune_set("triage_train")[:2]
    data = Dataset.from_list([{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]} for r in rows])
    args = SFTConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none", per_device_train_batch_size=2,
                     max_steps=1, save_strategy="no", gradient_checkpointing=False)
    trainer = plain_loss_trainer_class()(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                                         peft_config=LoraConfig(r=4, target_modules=["q_proj"], task_type="CAUSAL_LM"))
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(2)])
    tokenizer.padding_side = "left"
    labels = batch["labels"]
    answer = tokenizer.decode(labels[0][labels[0] != -100])
    assert answer.startswith(rows[0]["messages"][-1]["content"][:40]) and "Received:" not in answer  # the prompt is masked
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(batch))
        logits = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    by_hand = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                                                ignore_index=-100)
    assert abs(loss.item() - by_hand.item()) < 1e-4


def test_training_path_on_this_machine_is_the_cpu_one():
    import torch

    assert training_path() == ("peft-cpu" if not torch.cuda.is_available() else training_path())
    assert training_path() in ("unsloth", "peft-gpu", "peft-cpu")


class FakePeftModel:
    """Writes the two files a peft adapter consists of."""

    def save_pretrained(self, folder):
        folder.mkdir(parents=True)
        (folder / "adapter_config.json").write_text("{}")
        (folder / "adapter_model.safetensors").write_bytes(b"weights")


def test_adapter_cache_keys_on_settings_and_rows_and_keeps_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGFT_CACHE_DIR", str(tmp_path / "cache"))
    rows = [{"id": "a", "messages": []}]
    key = adapter_key({"r": 8}, rows)
    assert key == adapter_key({"r": 8}, [dict(rows[0])])
    assert key != adapter_key({"r": 16}, rows) and key != adapter_key({"r": 8}, rows + rows)
    assert cached_adapter("triage", key) is None

    checkpoints = tmp_path / "trainer-output"
    for step in (3, 6):
        FakePeftModel().save_pretrained(checkpoints / f"checkpoint-{step}")
    log = {"steps": 7, "train": [[1, 2.0]], "validation": []}
    folder = save_adapter(FakePeftModel(), adapter_dir("triage", key), log, checkpoints=checkpoints)
    assert cached_adapter("triage", key) == folder and not checkpoints.exists()
    assert load_training_log(folder) == log
    assert checkpoint_dir(folder, 3).is_dir() and checkpoint_dir(folder, 7).is_dir()  # the final step is kept too
    with pytest.raises(FileNotFoundError, match=r"saved steps: \[3, 6, 7\]"):
        checkpoint_dir(folder, 5)
    (folder / TRAINING_LOG).unlink()
    assert cached_adapter("triage", key) is None  # incomplete folders are never reused


def test_loss_curves_separate_training_and_validation():
    history = [{"loss": 2.5, "step": 2}, {"eval_loss": 2.2, "step": 2}, {"loss": 1.91234, "step": 4},
               {"train_runtime": 9.0, "step": 4}]
    assert loss_curves(history) == {"train": [(2, 2.5), (4, 1.9123)], "validation": [(2, 2.2)]}


def test_parse_triage_accepts_only_one_json_object():
    assert parse_triage(' {"a": 1}\n') == {"a": 1}
    assert parse_triage('Sure! {"a": 1}') is None
    assert parse_triage("[1, 2]") is None
    assert parse_triage('{"a": ') is None


def test_kb_precision_recall_is_micro_averaged():
    assert kb_ids_precision_recall([["a"], ["b", "c"]], [["a", "x"], None]) == (0.5, 1 / 3)
    assert all(math.isnan(x) for x in kb_ids_precision_recall([[]], [[]]))
    with pytest.raises(ValueError):
        kb_ids_precision_recall([["a"]], [])


def test_triage_report_scores_gold_as_perfect_and_prose_as_nothing():
    rows = load_finetune_set("triage_test")[:12]
    gold = [r["messages"][-1]["content"] for r in rows]
    perfect = triage_report(rows, gold)
    assert perfect["parsed"] == perfect["schema_valid"] == 12
    assert perfect["kb_precision"] == perfect["kb_recall"] == 1.0
    assert perfect["category_macro_f1"] == 1.0 and perfect["stale_replies"] == 0
    prose = triage_report(rows, ["I am sorry, I cannot help with that."] * 12)
    assert prose["parsed"] == prose["schema_valid"] == prose["replies"] == 0
    assert prose["category_macro_f1"] == 0.0 and prose["kb_recall"] < 1.0
    broken = json.loads(gold[0])
    broken["priority"] = "urgent"
    assert triage_report(rows[:1], [json.dumps(broken)])["schema_valid"] == 0


def test_prompt_variants_keep_the_ticket_and_drop_the_answer():
    row, shot = load_finetune_set("triage_test")[0], load_finetune_set("triage_train")[0]
    short = with_system_prompt(row, SHORT_SYSTEM_PROMPT)
    assert short == [{"role": "system", "content": SHORT_SYSTEM_PROMPT}, row["messages"][1]]
    few = few_shot_conversation(row, [shot])
    assert [m["role"] for m in few] == ["system", "user", "assistant", "user"]
    assert few[-1] == row["messages"][1] and few[2] == shot["messages"][2]


@pytest.mark.slow
def test_schema_constrained_decoding_only_writes_what_the_schema_allows(generator):
    from ragft.generation import generate, json_schema_processors

    model, tokenizer = generator
    schema = {"type": "object", "properties": {"answer": {"enum": ["yes", "no"]}}, "required": ["answer"],
              "additionalProperties": False}
    conversations = [[{"role": "user", "content": "Is the sky green? Write a poem about it."}]]
    free = generate(model, tokenizer, conversations, max_new_tokens=12)
    constrained = generate(model, tokenizer, conversations, max_new_tokens=30,
                           logits_processors=json_schema_processors(model, tokenizer, schema))
    assert parse_triage(free[0]) is None  # left alone, the model writes prose
    assert json.loads(constrained[0]) in ({"answer": "yes"}, {"answer": "no"})
