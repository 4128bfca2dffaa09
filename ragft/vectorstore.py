"""A vector database for the knowledge base: Qdrant, with the validity dates as filterable payload.

Taught in notebook 04. Each chunk becomes one Qdrant point: its MiniLM vector and a payload
with the chunk's text and its document's metadata, including the dates between which the
document is in force. A question asked "as of" a date then keeps only the chunks whose
document was in force on that date (:func:`valid_on`), instead of hoping the right version
ranks first.

Qdrant runs in the notebook's own process (local mode, in memory or in a folder) unless the
``QDRANT_URL`` environment variable names a server. The same code works against both.
"""
from __future__ import annotations

import atexit
import os
import re
import uuid
from datetime import date
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient, models

#: Payload fields a filter uses; a Qdrant server indexes them, local mode needs no index.
INDEXED_FIELDS = {
    "doc_id": models.PayloadSchemaType.KEYWORD,
    "category": models.PayloadSchemaType.KEYWORD,
    "product": models.PayloadSchemaType.KEYWORD,
    "valid_from_int": models.PayloadSchemaType.INTEGER,
    "valid_until_int": models.PayloadSchemaType.INTEGER,
}
_START_SERVER = (
    "Start a server with `docker run -p 6333:6333 qdrant/qdrant` (then QDRANT_URL=http://localhost:6333), "
    "or unset QDRANT_URL to run Qdrant inside this process (local mode)."
)
_open_paths: dict[Path, QdrantClient] = {}  # local folders this process holds open (see qdrant_client)


@atexit.register
def _close_open_paths() -> None:
    # Close while Python still works: a client left to its __del__ at interpreter exit prints
    # "Exception ignored in QdrantClient.__del__ ... Python is likely shutting down".
    while _open_paths:
        _open_paths.popitem()[1].close()


class QdrantUnavailableError(ConnectionError):
    """``QDRANT_URL`` names a server that cannot be reached. The message says what to do."""


def qdrant_client(location: str | Path | None = None) -> QdrantClient:
    """A Qdrant client, and one printed line saying which kind.

    - ``QDRANT_URL`` set (e.g. ``http://localhost:6333``): that server, with ``QDRANT_API_KEY``
      if set (``location`` is then ignored). Raises :class:`QdrantUnavailableError` if it
      does not answer.
    - otherwise local mode, inside this process: in memory (``location=None`` or
      ``":memory:"``, gone when the kernel stops) or in the folder ``location`` (kept on disk).

    A folder can be open in one client at a time; opening it again (re-running a cell) closes
    the client that held it first.
    """
    url = os.environ.get("QDRANT_URL")
    if url:
        return _server_client(url, os.environ.get("QDRANT_API_KEY") or None)
    if location is None or str(location) == ":memory:":
        print("qdrant    local mode, in memory (set QDRANT_URL to use a server)")
        return QdrantClient(location=":memory:")
    path = Path(location).resolve()
    if path in _open_paths:
        _open_paths.pop(path).close()  # Qdrant locks the folder; release the earlier client's lock
    print(f"qdrant    local mode, stored in the folder {_shown(path)} (set QDRANT_URL to use a server)")
    client = _open_paths[path] = QdrantClient(path=str(path))
    return client


def _shown(path: Path) -> str:
    """A folder as a learner recognises it, the same on every machine.

    Inside the results folder it reads ``results/...`` wherever ``RAGFT_RESULTS_DIR`` puts that folder
    (the tests move it); inside the course folder, relative to it; elsewhere, its name.
    """
    from .paths import COURSE_ROOT, results_dir

    path = Path(path).resolve()
    for base, label in ((results_dir(create=False).resolve(), "results"), (COURSE_ROOT, "")):
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        return f"{label}/{relative}" if label else str(relative)
    return path.name


def _server_client(url: str, api_key: str | None) -> QdrantClient:
    try:
        # A first client only asks whether the server answers. (A client checks the server's
        # version in a background thread, which would warn about an unreachable server after
        # this function has returned; the error below says it better.)
        QdrantClient(url=url, api_key=api_key, check_compatibility=False).get_collections()
    except Exception as exc:  # connection refused, unknown host, malformed URL, wrong key: one message
        raise QdrantUnavailableError(
            f"No Qdrant server answered at QDRANT_URL={url} ({type(exc).__name__}: {exc}).\n{_START_SERVER}"
        ) from None
    print(f"qdrant    server at {url}")
    return QdrantClient(url=url, api_key=api_key)  # this one checks the server's version, and warns on a mismatch


def is_local(client: QdrantClient) -> bool:
    """True if ``client`` runs Qdrant in this process (local mode) rather than talking to a server."""
    from qdrant_client.local.qdrant_local import QdrantLocal

    return isinstance(getattr(client, "_client", None), QdrantLocal)


def day_number(day: date | str) -> int:
    """A date as the integer YYYYMMDD (2025-03-01 -> 20250301).

    It sorts like the date, reads like one in a payload, and a plain numeric ``Range`` filter
    works on it everywhere: Qdrant local mode, a Qdrant server, and LlamaIndex's filters.
    """
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return day.year * 10_000 + day.month * 100 + day.day


def point_id(chunk_id: str) -> str:
    """The Qdrant point id of a chunk: a UUID derived from ``chunk_id``, the same on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ragft-chunk:{chunk_id}"))


def chunk_payload(chunk: dict, doc) -> dict:
    """The payload stored with a chunk: its text, its document's metadata and validity dates.

    Dates appear twice: as ISO strings to read (``valid_from``) and as YYYYMMDD integers to
    filter on (``valid_from_int``; see :func:`day_number`). ``valid_until`` is exclusive.
    """
    return {
        "chunk_id": chunk["chunk_id"], "doc_id": doc.id, "title": doc.title, "category": doc.category,
        "product": doc.product, "version": doc.version, "text": chunk["text"],
        "valid_from": doc.valid_from.isoformat(), "valid_until": doc.valid_until.isoformat(),
        "valid_from_int": day_number(doc.valid_from), "valid_until_int": day_number(doc.valid_until),
    }


def create_collection(client: QdrantClient, collection: str, dim: int) -> None:
    """(Re)create an empty ``collection`` of ``dim``-dimensional vectors compared by cosine.

    An existing collection of that name is deleted first, so building an index twice never
    leaves duplicate or stale points. On a server, the filtered fields get payload indexes.
    """
    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(collection, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE))
    if not is_local(client):  # local mode scans every point anyway (and warns that indexes do nothing)
        for field, schema in INDEXED_FIELDS.items():
            client.create_payload_index(collection, field_name=field, field_schema=schema)


def index_chunks(client: QdrantClient, collection: str, chunks: list[dict], vectors, docs_by_id: dict,
                 batch_size: int = 256) -> int:
    """Store ``chunks`` (dicts with chunk_id, doc_id, text) and their ``vectors`` in a fresh ``collection``.

    ``vectors[i]`` belongs to ``chunks[i]``; ``docs_by_id`` maps a doc_id to its ``Document``.
    The collection is recreated (see :func:`create_collection`) and point ids come from the
    chunk ids (:func:`point_id`), so re-running gives the same collection. Returns the point count.
    """
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors; give one vector per chunk, in order.")
    create_collection(client, collection, dim=len(vectors[0]))
    points = [
        models.PointStruct(id=point_id(c["chunk_id"]), vector=_as_list(v), payload=chunk_payload(c, docs_by_id[c["doc_id"]]))
        for c, v in zip(chunks, vectors)
    ]
    client.upload_points(collection, points, batch_size=batch_size, wait=True)
    return client.count(collection, exact=True).count


def _as_list(vector) -> list[float]:
    return np.asarray(vector, dtype=float).tolist()  # Qdrant takes plain floats, not NumPy arrays


def valid_on(day: date | str) -> models.Filter:
    """A filter keeping the chunks whose document is in force on ``day``:
    ``valid_from <= day < valid_until``. Documents without versions are in force on every day.
    """
    n = day_number(day)
    return models.Filter(must=[
        models.FieldCondition(key="valid_from_int", range=models.Range(lte=n)),
        models.FieldCondition(key="valid_until_int", range=models.Range(gt=n)),
    ])


def matching(**fields) -> models.Filter:
    """A filter keeping the chunks whose payload has exactly these values, e.g. ``matching(product="relay")``."""
    return models.Filter(must=[models.FieldCondition(key=k, match=models.MatchValue(value=v)) for k, v in fields.items()])


def all_of(*filters: models.Filter | None) -> models.Filter:
    """One filter that keeps what every one of ``filters`` keeps, e.g. ``all_of(valid_on(day), matching(product="relay"))``."""
    return models.Filter(must=[f for f in filters if f is not None])


def search(client: QdrantClient, collection: str, query_vector, k: int = 5, query_filter: models.Filter | None = None) -> list[dict]:
    """The ``k`` chunks nearest to ``query_vector`` (among those ``query_filter`` keeps), best first.

    Each hit is its payload plus ``score`` (cosine similarity). Uses ``client.query_points``,
    Qdrant's current query API.
    """
    response = client.query_points(
        collection, query=_as_list(query_vector), limit=k, query_filter=query_filter, with_payload=True,
    )
    return [{**point.payload, "score": point.score} for point in response.points]


def in_force(hit: dict, day: date | str) -> bool:
    """True if the document of ``hit`` (a payload from :func:`search`) is in force on ``day``."""
    return hit["valid_from_int"] <= day_number(day) < hit["valid_until_int"]


def prefer_in_force(hits: list[dict], day: date | str) -> list[dict]:
    """``hits`` reordered so those in force on ``day`` come first; each group keeps its order.

    The "rerank" alternative to a date filter: nothing is dropped, but a stale version can
    still fill the top-k when too few hits in force were retrieved in the first place.
    """
    return sorted(hits, key=lambda hit: not in_force(hit, day))  # sorted() is stable


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
           "december")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(r"(?<!\d )\b(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)  # "May 2025", not "1 May 2025"


def date_of_question(text: str, asked_on: date | str) -> date:
    """The day a question is about: a month it names ("back in February 2025" -> 2025-02-15), a date it
    points back to ("on 2025-04-10 ... on that date"), else the day it is asked. A filter on validity dates
    needs this day, not the day of asking: "what was the refund window in February?" is about February.
    A rule of thumb, not a parser: a date that only describes an event ("my trial ended on 2025-11-03, can
    I get a refund?") leaves the question about today."""
    if (m := _ISO_DATE.search(text)) and re.search(r"\bthat (day|date)\b", text, re.IGNORECASE):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _MONTH_YEAR.search(text):
        return date(int(m[2]), _MONTHS.index(m[1].lower()) + 1, 15)
    return date.fromisoformat(asked_on) if isinstance(asked_on, str) else asked_on
