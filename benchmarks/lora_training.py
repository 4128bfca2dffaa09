"""Benchmark: LoRA training step time, tokens per second and peak memory of the course's generator.

    python benchmarks/lora_training.py                   # CPU: peft, two sequence lengths x two batch sizes
    python benchmarks/lora_training.py --paths peft unsloth   # on a CUDA GPU: also Unsloth, same settings

Each configuration runs in its own process (so its peak memory is its own): a few warm-up steps,
then timed steps of forward + backward + optimizer on random token ids (timing does not depend
on the text). Writes ``benchmarks/results/lora_training.json``. A benchmark, not a test: nothing
fails on a slow machine.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "lora_training.json"
MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def one_configuration(path: str, model_id: str, seq_len: int, batch: int, steps: int, warmup: int, threads: int) -> dict:
    """Time ``steps`` LoRA training steps of one configuration in this process."""
    import torch

    torch.manual_seed(0)
    on_gpu = torch.cuda.is_available()
    if not on_gpu:
        torch.set_num_threads(threads)
    if path == "unsloth":
        from unsloth import FastLanguageModel

        model, _ = FastLanguageModel.from_pretrained(model_id, max_seq_length=seq_len, load_in_4bit=True)
        model = FastLanguageModel.get_peft_model(model, r=16, lora_alpha=32, lora_dropout=0, target_modules=TARGETS,
                                                 use_gradient_checkpointing="unsloth")
    else:
        from peft import LoraConfig, get_peft_model

        from ragft.models import load_generator

        model, _ = load_generator(model_id)
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules=TARGETS, task_type="CAUSAL_LM"))
    model.train()
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(100, 40000, (batch, seq_len), device=device)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.float16, enabled=on_gpu and path != "unsloth"):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if on_gpu:
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"path": path, "device": "cuda" if on_gpu else "cpu", "model": model_id, "seq_len": seq_len, "batch": batch,
            "threads": None if on_gpu else threads, "steps_timed": steps, "step_seconds_median": round(median, 4),
            "step_seconds_min": round(min(times), 4), "tokens_per_second": round(batch * seq_len / median, 1),
            "peak_memory_gb": round((torch.cuda.max_memory_allocated() if on_gpu else
                                     resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 1e9, 2),
            "peak_memory_kind": "GPU, allocated by torch" if on_gpu else "CPU, whole process RSS"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", default=["peft"], choices=["peft", "unsloth"])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--seq-lens", nargs="+", type=int, default=[128, 512])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one configuration, print its JSON
    args = parser.parse_args(argv)
    if args.one:
        path, seq_len, batch = args.one.split(",")
        print(json.dumps(one_configuration(path, args.model, int(seq_len), int(batch), args.steps, args.warmup, args.threads)))
        return 0
    rows = []
    for path in args.paths:
        for seq_len in args.seq_lens:
            for batch in args.batches:
                cmd = [sys.executable, __file__, "--one", f"{path},{seq_len},{batch}", "--model", args.model,
                       "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{path} seq {seq_len} batch {batch}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                    return 1
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                r = rows[-1]
                print(f"{path:8} seq {seq_len:4} batch {batch}: {r['step_seconds_median']:.2f} s/step, "
                      f"{r['tokens_per_second']:.0f} tokens/s, peak {r['peak_memory_gb']} GB ({r['peak_memory_kind']})")
    import torch

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "LoRA training step (r=16, all linear layers of each block)",
                                   "machine": {"cpu_count": __import__("os").cpu_count(), "platform": platform.platform(),
                                               "torch": torch.__version__,
                                               "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
                                   "results": rows}, indent=1))
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
