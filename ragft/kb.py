"""Load the course knowledge base: markdown documents with YAML front matter."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from .paths import KB_DIR

FRONT_MATTER_FIELDS = ("id", "title", "category", "product", "effective_date", "version", "supersedes", "valid_from", "valid_until")
#: A document without versions holds throughout: from the company's founding to an open end.
KB_EPOCH = date(2016, 1, 1)
OPEN_END = date(9999, 12, 31)
CATEGORIES = {
    "policy", "pricing", "billing", "faq", "product", "guide", "api-reference",
    "release-notes", "security", "legal", "support", "hr", "company",
}
PRODUCTS = {"relay", "ledger", "beacon", "all", "internal"}
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


class DataError(ValueError):
    """A data file is malformed. The message names the file and what to fix."""


@dataclass(frozen=True)
class Document:
    """One knowledge-base document: its front matter and its markdown body."""

    id: str
    title: str
    category: str
    product: str
    effective_date: date
    version: int
    supersedes: str | None
    text: str
    path: Path
    valid_from: date = KB_EPOCH  # first day the document is in force
    valid_until: date = OPEN_END  # first day it is no longer in force (exclusive)

    def valid_on(self, day: date) -> bool:
        """True if this document is the one in force on ``day`` (``valid_from <= day < valid_until``)."""
        return self.valid_from <= day < self.valid_until

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def parse_document(path: Path) -> Document:
    """Parse one markdown file; raise :class:`DataError` naming the file if it is malformed."""
    raw = Path(path).read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(raw)
    if not match:
        raise DataError(f"{path}: no front matter. A document starts with a '---' line, YAML fields, and another '---' line.")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: front matter is not valid YAML ({exc}).") from None
    missing = [f for f in FRONT_MATTER_FIELDS if f not in meta]
    if missing:
        raise DataError(f"{path}: front matter lacks {', '.join(missing)}. Every document needs {', '.join(FRONT_MATTER_FIELDS)}.")
    if meta["category"] not in CATEGORIES:
        raise DataError(f"{path}: category {meta['category']!r} is not one of {sorted(CATEGORIES)}.")
    if meta["product"] not in PRODUCTS:
        raise DataError(f"{path}: product {meta['product']!r} is not one of {sorted(PRODUCTS)}.")
    eff, valid_from, valid_until = (_as_date(path, meta, f) for f in ("effective_date", "valid_from", "valid_until"))
    if meta["id"] != Path(path).stem:
        raise DataError(f"{path}: id {meta['id']!r} differs from the file name; name the file {meta['id']}.md.")
    return Document(
        id=str(meta["id"]), title=str(meta["title"]), category=meta["category"], product=meta["product"],
        effective_date=eff, version=int(meta["version"]), supersedes=meta["supersedes"] or None,
        text=match.group(2).strip() + "\n", path=Path(path), valid_from=valid_from, valid_until=valid_until,
    )


def _as_date(path: Path, meta: dict, field: str) -> date:
    value = meta[field]
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{path}: {field} {value!r} is not a YYYY-MM-DD date.") from None


def expected_validity(doc: Document, successor: Document | None) -> tuple[date, date]:
    """The validity interval a document must declare, derived from its versions.

    A versioned document (it supersedes one, or one supersedes it) holds from its effective date
    until its successor's; a document without versions holds throughout (its effective_date is
    only its latest revision, so a date filter must not drop it for an older question).
    """
    if not (doc.supersedes or successor):
        return KB_EPOCH, OPEN_END
    return doc.effective_date, successor.effective_date if successor else OPEN_END


def load_knowledge_base(kb_dir: Path | str = KB_DIR) -> list[Document]:
    """Load every ``*.md`` document in ``kb_dir``, sorted by id.

    Raises :class:`DataError` if the folder is missing or empty, a file is malformed,
    two documents share an id, or a ``supersedes`` id does not exist.
    """
    kb_dir = Path(kb_dir)
    if not kb_dir.is_dir():
        raise DataError(f"Knowledge base folder {kb_dir} does not exist. Run from the course folder, or pass kb_dir=.")
    docs = [parse_document(p) for p in sorted(kb_dir.glob("*.md"))]
    if not docs:
        raise DataError(f"No *.md documents in {kb_dir}.")
    ids = [d.id for d in docs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataError(f"Duplicate document ids: {dupes}.")
    known = set(ids)
    for d in docs:
        if d.supersedes and d.supersedes not in known:
            raise DataError(f"{d.path}: supersedes {d.supersedes!r}, which is not in the knowledge base.")
    successors = {d.supersedes: d for d in docs if d.supersedes}
    for d in docs:
        expected = expected_validity(d, successors.get(d.id))
        if (d.valid_from, d.valid_until) != expected:
            raise DataError(
                f"{d.path}: valid_from/valid_until are {d.valid_from}/{d.valid_until}, but its versions give "
                f"{expected[0]}/{expected[1]}. Set them so a date filter keeps exactly the version in force."
            )
    return sorted(docs, key=lambda d: d.id)


def versions_of(doc_id: str, docs_by_id: dict[str, Document]) -> set[str]:
    """Every version of a document, itself included: follows ``supersedes`` links both ways (as notebook 01 does)."""
    family, frontier = {doc_id}, [doc_id]
    while frontier:
        current = docs_by_id[frontier.pop()]
        for other in docs_by_id.values():
            if (other.supersedes == current.id or current.supersedes == other.id) and other.id not in family:
                family.add(other.id)
                frontier.append(other.id)
    return family

