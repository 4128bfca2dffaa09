"""The workbook is generated from the solutions, and every notebook follows the conventions."""
import re

import nbformat
import pytest

from notebook_tools import SOLUTIONS, WORKBOOK_DIR, exercises, read
from ragft.paths import COURSE_ROOT
from ragft.workbook import main as workbook_main
from ragft.workbook import make_workbook, stub_source


def test_notebooks_folder_is_up_to_date():
    assert workbook_main(["--check"]) == 0, "run: python -m ragft.workbook"


def test_stub_replaces_only_the_solution_region_and_keeps_indentation():
    source = "def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nprint(f)"
    assert stub_source(source) == "def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)"
    with pytest.raises(ValueError, match="unbalanced"):
        stub_source("### BEGIN SOLUTION\nx = 1\n")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_workbook_has_stubs_and_no_outputs(solution):
    workbook = nbformat.reads(make_workbook(solution), as_version=4)
    code = [c for c in workbook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any("### BEGIN SOLUTION" in c.source for c in code)
    assert sum("raise NotImplementedError()" in c.source for c in code) == len(exercises(solution))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_notebook_conventions(solution):
    nb = read(solution)
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", solution.name)
    intro = nb.cells[0].source
    assert intro.startswith(f"# {solution.stem[:2]} · "), "title first"
    assert f"notebooks/{solution.name}" in intro and "colab-badge.svg" in intro, "Open in Colab badge"
    assert "**Time:**" in intro and "__CPU_TIME__" not in intro and re.search(r"\d+ min", intro), "measured time stated"
    assert "**Prerequisites:**" in intro and ("**What you will build:**" in intro or "**What you will do:**" in intro)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and 'PROFILE = "default"' in tagged[0].source
    assert nb.metadata.kernelspec.name == "python3"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, "committed outputs hold an error"
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code"), "committed solutions are executed"


def test_setup_cell_is_the_same_everywhere_and_needs_no_install_locally():
    """One setup cell for all notebooks; only NEEDS_GPU differs, True exactly where the notebook fine-tunes, and those
    notebooks ask Colab for a GPU in their metadata. The install logic lives in ragft/colab.py (tests/test_colab.py)."""
    from ragft.colab import COURSE_GIT_URL

    setups, gpu = set(), {}
    for s in SOLUTIONS:
        nb = read(s)
        source = next(c for c in nb.cells if c.cell_type == "code").source
        gpu[s.name[:2]] = "NEEDS_GPU = True" in source
        setups.add(source.replace("NEEDS_GPU = True", "NEEDS_GPU = False"))
        assert (nb.metadata.get("accelerator") == "GPU") == gpu[s.name[:2]], s.name
        assert f'COURSE_GIT_URL = "{COURSE_GIT_URL}"' in source
        badge = f"https://colab.research.google.com/github/{COURSE_GIT_URL.removeprefix('https://github.com/')}/blob/main/notebooks/{s.name}"
        assert badge in nb.cells[0].source, f"{s.name}: the Colab badge opens another repository or notebook"
    assert len(setups) == 1
    assert [k for k, v in gpu.items() if v] == ["07", "08", "09"]
    setup = setups.pop()
    assert "google.colab" in setup and "prepare_colab" in setup and "pip" not in setup


@pytest.mark.parametrize("solution", [s for s in SOLUTIONS if not s.name.startswith("00")], ids=lambda p: p.stem)
def test_every_lesson_has_at_least_three_exercises(solution):
    assert len(exercises(solution)) >= 3


def test_workbook_exists_for_every_solution():
    assert sorted(p.name for p in WORKBOOK_DIR.glob("*.ipynb")) == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_committed_outputs_carry_no_warnings_or_build_machine_paths(solution):
    """What a learner reads must not show where the course was built or a library's warning (tqdm's IProgress, ...)."""
    import re

    bad = re.compile(r"/work/|/root/|/home/|/tmp/|site-packages|Warning:|IProgress")
    for i, cell in enumerate(read(solution).cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "") + "".join(output.get("data", {}).get("text/plain", ""))
            hit = bad.search(text)
            assert not hit, f"cell {i}: {text[max(0, hit.start() - 80):hit.end() + 80]!r}"
