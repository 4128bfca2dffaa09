"""Every notebook ends with a recap and self-check questions with their answers, and every exercise says how
to go on without it: a **Stuck?** note whose import of the course's reference works (and passes the
exercise's check), or that points to the cell to copy from the same notebook in solutions/. The learner's
workbook carries the same markdown. Fast: nothing here loads a model or runs a notebook."""
import ast
import re

import pytest

from notebook_tools import SOLUTIONS, WORKBOOK_DIR, read
from ragft.checks import ExerciseError
from ragft.workbook import is_exercise

IMPORT_SPAN = re.compile(r"`(from ragft(?:\.\w+)* import [^`]+)`")
ANSWER = re.compile(r"<details><summary>Answer</summary>(.*?)</details>", re.DOTALL)
QUESTION_START = re.compile(r"^(\d+)\. ", re.MULTILINE)
MARKER = "\x00"  # stands for an answer block while the questions are split apart
# What the check cells may use besides the exercise's own names (the same as tests/test_exercises.py gives them).
CHECK_PREAMBLE = "import json\nimport numpy as np\nfrom ragft import checks\nfrom ragft.metrics import normalize_answer\n"


def self_check(recap: str) -> list[tuple[int, str, str]]:
    """(number, question, answer) for each numbered question between **Check yourself** and **Next:**.

    Each question must be followed by exactly one ``<details><summary>Answer</summary> ... </details>`` block
    before the next question starts; the numbers must run 1, 2, 3...
    """
    assert "**Check yourself**" in recap, "no **Check yourself** section"
    body = recap.split("**Check yourself**", 1)[1]
    assert "**Next:**" in body, "the **Next:** pointer must come after the questions"
    body = body.split("**Next:**", 1)[0]
    answers = [a.strip() for a in ANSWER.findall(body)]
    skeleton = ANSWER.sub(MARKER, body)  # questions are looked for outside the answers only
    pieces = QUESTION_START.split(skeleton)
    assert not pieces[0].strip(), f"text before the first numbered question: {pieces[0].strip()[:80]!r}"
    numbers, texts = [int(n) for n in pieces[1::2]], pieces[2::2]
    assert numbers == list(range(1, len(numbers) + 1)), f"questions numbered {numbers}, not 1, 2, 3..."
    questions, remaining = [], iter(answers)
    for number, text in zip(numbers, texts):
        question, marker, rest = text.partition(MARKER)
        assert marker, f"question {number} has no <details><summary>Answer</summary> block after it"
        assert MARKER not in rest and not rest.strip(), f"question {number}: one answer block, right after it"
        assert question.strip(), f"question {number} is empty"
        answer = next(remaining)
        assert answer, f"question {number}: the answer block is empty"
        questions.append((number, " ".join(question.split()), answer))
    return questions


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_notebook_ends_with_a_recap_and_answered_questions(solution):
    last = read(solution).cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Recap"), "the last cell must be the ## Recap"
    recap = last.source.split("**Check yourself**", 1)[0]
    assert re.search(r"^- \S", recap, re.MULTILINE), "the recap lists what the notebook taught, as bullet points"
    questions = self_check(last.source)
    assert 3 <= len(questions) <= 5, f"{len(questions)} self-check questions; write 3 to 5"
    assert all("?" in q for _, q, _ in questions), "each self-check question asks something"


def test_self_check_parser_rejects_malformed_recaps():
    good = ("## Recap\n- a\n\n**Check yourself**\n\n1. Why?\n<details><summary>Answer</summary>\n\nBecause.\n\n</details>\n\n"
            "2. How?\n<details><summary>Answer</summary>\n\nSo.\n\n</details>\n\n**Next:** 01")
    assert [n for n, _, _ in self_check(good)] == [1, 2]
    with pytest.raises(AssertionError, match="no <details>"):
        self_check(good.replace("<details><summary>Answer</summary>\n\nSo.\n\n</details>", "So."))
    with pytest.raises(AssertionError, match="numbered"):
        self_check(good.replace("2. How?", "3. How?"))
    with pytest.raises(AssertionError, match="Next"):
        self_check(good.replace("**Next:** 01", ""))
    with pytest.raises(AssertionError, match="empty"):
        self_check(good.replace("Because.", ""))


def defined_names(source: str) -> list[str]:
    """The functions and classes an exercise cell defines at its top level."""
    return [node.name for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def imported_names(source: str, anywhere: bool = False) -> set[str]:
    """Names bound by the import statements of a cell (top level only unless ``anywhere``); a cell that is not
    plain Python (an IPython magic) binds none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    nodes = ast.walk(tree) if anywhere else tree.body
    names = set()
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def stuck_note(markdown: str) -> str:
    """The paragraph that starts with **Stuck?**."""
    at = markdown.find("**Stuck?**")
    return markdown[at:].split("\n\n", 1)[0] if at >= 0 else ""


def exercise_cases():
    """(notebook, exercise number, the markdown cell before it, the exercise's source, the check cell's source,
    the names the exercise cell imports that no earlier cell imports and a later cell uses)."""
    cases = []
    for solution in SOLUTIONS:
        cells = read(solution).cells
        code = [(i, c.source) for i, c in enumerate(cells) if c.cell_type == "code"]
        exercises = [i for i, cell in enumerate(cells) if is_exercise(cell)]
        for number, i in enumerate(exercises, start=1):
            check = next(c.source for c in cells[i + 1:] if c.cell_type == "code")
            before = cells[i - 1].source if i and cells[i - 1].cell_type == "markdown" else ""
            earlier = set().union(*(imported_names(s, anywhere=True) for j, s in code if j < i))
            later = "\n".join(s for j, s in code if j > i)
            needed = sorted(n for n in imported_names(cells[i].source) - earlier if re.search(rf"\b{n}\b", later))
            cases.append((solution.name, number, before, cells[i].source, check, needed))
    return cases


CASES = exercise_cases()


@pytest.mark.parametrize("notebook, number, before, exercise, check, needed", CASES,
                         ids=[f"{c[0][:2]}-exercise{c[1]}-{defined_names(c[3])[0]}" for c in CASES])
def test_every_exercise_says_how_to_go_on_without_it(notebook, number, before, exercise, check, needed):
    note = stuck_note(before)
    assert note, f"{notebook}, exercise {number}: the markdown cell just before it needs a **Stuck?** note"
    names = defined_names(exercise)
    assert names, f"{notebook}, exercise {number} defines no function or class"
    missing = [n for n in names if f"`{n}`" not in note]
    assert not missing, f"{notebook}, exercise {number}: the Stuck? note must name {missing}, what the later cells need"
    kept = [n for n in needed if f"`{n}`" not in note and f"import {n}`" not in note]
    assert not kept, (f"{notebook}, exercise {number}: a later cell uses {kept}, which only the exercise cell imports; "
                      "the Stuck? note must say to keep that import")
    imports = IMPORT_SPAN.findall(note)
    if not imports:
        assert f"solutions/{notebook}" in note, (f"{notebook}, exercise {number}: without an import of the reference, "
                                                 f"the Stuck? note must point to solutions/{notebook}")
        return
    namespace = {}
    for statement in imports:
        try:
            exec(statement, namespace)
        except Exception as exc:  # a misspelt module or name
            pytest.fail(f"{notebook}, exercise {number}: the Stuck? import `{statement}` fails: {type(exc).__name__}: {exc}")
    unbound = [n for n in names if n not in namespace]
    assert not unbound, f"{notebook}, exercise {number}: the Stuck? import does not define {unbound}"
    exec(CHECK_PREAMBLE, namespace)
    try:
        exec(check, namespace)
    except ExerciseError as error:
        pytest.fail(f"{notebook}, exercise {number}: the reference named by the Stuck? note fails the check:\n{error}")


def test_stuck_note_parsing():
    note = "Write `f`.\n\n**Stuck?** Replace the exercise cell with `from ragft.metrics import token_f1` and go on.\n\nMore."
    assert stuck_note(note).endswith("and go on.") and IMPORT_SPAN.findall(stuck_note(note)) == ["from ragft.metrics import token_f1"]
    assert stuck_note("Write `f`.") == ""


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_workbook_carries_the_same_markdown(solution):
    mine = [c.source for c in read(solution).cells if c.cell_type == "markdown"]
    workbook = read(WORKBOOK_DIR / solution.name).cells
    assert [c.source for c in workbook if c.cell_type == "markdown"] == mine, "run: python -m ragft.workbook"
    assert workbook[-1].cell_type == "markdown" and workbook[-1].source.startswith("## Recap")
    stubs = [i for i, c in enumerate(workbook) if c.cell_type == "code" and "raise NotImplementedError()" in c.source]
    assert stubs and all("**Stuck?**" in workbook[i - 1].source for i in stubs), "each stub in the workbook follows its Stuck? note"
