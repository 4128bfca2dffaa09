"""What the learner's environment is: Python, torch, GPU, and where each model comes from."""
from __future__ import annotations

import platform
import sys

from .models import ModelNotFoundError, resolve_model


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def gpu_summary() -> str:
    """The GPU's name, memory and compute capability, or why there is none."""
    import torch

    if not torch.cuda.is_available():
        return "none (CPU only: the course runs the CPU path)"
    props = torch.cuda.get_device_properties(0)
    major, minor = torch.cuda.get_device_capability(0)
    return f"{props.name}, {props.total_memory / 2**30:.1f} GiB, compute capability {major}.{minor}"


def environment_report(model_ids: list[str]) -> list[tuple[str, str]]:
    """Rows of (item, value): the software the course relies on and each model's source."""
    import torch
    import transformers

    rows = [
        ("python", platform.python_version()),
        ("platform", "Google Colab" if in_colab() else platform.platform(terse=True)),
        ("torch", torch.__version__),
        ("transformers", transformers.__version__),
        ("GPU", gpu_summary()),
    ]
    for hub_id in model_ids:
        try:
            resolved = resolve_model(hub_id)
            rows.append((hub_id, f"{resolved.source} ({resolved.detail})"))
        except ModelNotFoundError as exc:
            rows.append((hub_id, "NOT FOUND: " + str(exc).splitlines()[0]))
    return rows
