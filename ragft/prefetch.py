"""Fill one folder with every model and data file a profile needs, for a workshop without internet.

On a connected machine::

    .venv/bin/python -m ragft.prefetch --profile default --to /srv/ragft-offline
    .venv/bin/python -m ragft.prefetch --profile t4 --to /srv/ragft-offline --list   # only say what it would fetch

Then, on every machine of the workshop, one setting points the course at the folder::

    export RAGFT_MODELS_DIR=/srv/ragft-offline

The resolver (:func:`ragft.models.resolve_model`) looks there first, and :func:`ragft.scifact.scifact_dir` finds
the SciFact benchmark in its ``datasets/scifact`` subfolder, so nothing needs the network.

Which models a profile needs is read from the notebooks themselves (each one's ``SETTINGS`` table), so the list
cannot drift from what the notebooks load. Models that ship inside a pip package (MiniLM and SmolLM2 for the
default profile) are skipped unless ``--include-shipped``: the shipped SmolLM2 is the Q4_1 file the committed
outputs were made with, while the hub copy is the bf16 original, whose answers differ slightly.
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from .models import MODELS_DIR_ENV, SHIPPED, download_from_hub
from .paths import SOLUTIONS_DIR
from .profiles import PROFILES
from .scifact import OFFLINE_SUBFOLDER as SCIFACT_SUBFOLDER

#: Used in every profile when it can be found (notebook 03 scores it beside the course-trained reranker).
OPTIONAL_MODELS = ("cross-encoder/ms-marco-MiniLM-L-6-v2",)


def hub_copy_warning(hub_id: str) -> str | None:
    """For a model the course ships as a quantized GGUF file: the hub's copy is a different file (the original)."""
    shipped = SHIPPED.get(hub_id)
    if not (shipped and shipped.gguf):
        return None
    return (f"the hub's {hub_id} is the bf16 original; the course ships and was measured with its quantized file "
            f"{shipped.file} ({shipped.install.split()[-1]}). With this copy in {MODELS_DIR_ENV} the course uses it "
            "instead, and answers differ slightly from the committed outputs.")


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Names bound to string literals at the top of a cell: ``A = "x"`` and ``A, B = "x", "y"``."""
    names = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = []
            if isinstance(target, ast.Name):
                pairs = [(target, node.value)]
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts))
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    names[name.id] = value.value
    return names


def models_in_settings(source: str) -> dict[str, set[str]]:
    """``{profile: {hub ids}}`` named by ``*_model_id`` settings in a notebook's ``SETTINGS = {...}`` cell."""
    tree = ast.parse(source)
    constants = _string_constants(tree)
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "SETTINGS" for t in node.targets)):
            continue
        for key, value in zip(node.value.keys, node.value.values):
            if not (isinstance(key, ast.Constant) and isinstance(value, ast.Call)):
                continue
            ids = found.setdefault(key.value, set())
            for keyword in value.keywords:
                if keyword.arg and keyword.arg.endswith("model_id"):
                    v = keyword.value
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        ids.add(v.value)
                    elif isinstance(v, ast.Name) and v.id in constants:
                        ids.add(constants[v.id])
                    else:
                        raise ValueError(f"cannot read the model id of {keyword.arg!r} for profile {key.value!r}: "
                                         "write it as a string or a name bound to one in the same cell")
    return found


def models_for_profile(profile: str, notebooks: list[Path] | None = None) -> list[str]:
    """Every hub id the notebooks load in ``profile`` (read from their SETTINGS tables), plus the optional ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of: {', '.join(PROFILES)}")
    ids: set[str] = set(OPTIONAL_MODELS)
    for path in notebooks or sorted(SOLUTIONS_DIR.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "SETTINGS = {" in source:
                ids |= models_in_settings(source).get(profile, set())
    return sorted(ids)


def prefetch(profile: str, to: Path, include_shipped: bool = False, download=None, get_scifact=None) -> list[str]:
    """Download the models and data of ``profile`` into ``to``; returns what it did, one line each.

    ``download(hub_id, folder)`` and ``get_scifact(folder)`` default to the Hugging Face hub and BEIR's server
    (tests pass stand-ins).
    """
    download = download or download_from_hub
    if get_scifact is None:
        from .scifact import download_scifact as get_scifact
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    done = []
    for hub_id in models_for_profile(profile):
        if hub_id in SHIPPED and not include_shipped:
            done.append(f"skipped {hub_id}: it ships in the pip package ({SHIPPED[hub_id].install})")
            continue
        folder = to / hub_id
        print(f"fetching {hub_id} -> {folder}", flush=True)
        download(hub_id, folder)
        done.append(f"fetched {hub_id} -> {folder}")
        if warning := hub_copy_warning(hub_id):
            print("WARNING: " + warning, file=sys.stderr)
            done.append("warning: " + warning)
    scifact = to / SCIFACT_SUBFOLDER
    get_scifact(scifact)
    done.append(f"fetched SciFact -> {scifact}")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragft.prefetch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--to", type=Path, required=True, help="the offline folder to fill")
    parser.add_argument("--include-shipped", action="store_true",
                        help="also fetch the hub copies of the models that ship in pip packages (see the warning)")
    parser.add_argument("--list", action="store_true", help="only list the models the profile needs")
    args = parser.parse_args(argv)
    if args.list:
        for hub_id in models_for_profile(args.profile):
            shipped = f"  (ships in {SHIPPED[hub_id].install.split()[-1]})" if hub_id in SHIPPED else ""
            optional = "  (optional)" if hub_id in OPTIONAL_MODELS else ""
            print(hub_id + shipped + optional)
        print(f"SciFact -> {args.to / SCIFACT_SUBFOLDER}")
        return 0
    try:
        prefetch(args.profile, args.to, include_shipped=args.include_shipped)
    except Exception as exc:  # the hub client and urllib raise many types; the learner needs the reason and the fix
        print(f"prefetch failed: {type(exc).__name__}: {exc}\nThis command needs internet access (the Hugging Face "
              "hub and BEIR's server). What was fetched so far stays in the folder; run it again to resume.", file=sys.stderr)
        return 1
    print(f"done. On each workshop machine: export {MODELS_DIR_ENV}={args.to.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
