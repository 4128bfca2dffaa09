"""Split documents into chunks for retrieval (taught by hand in notebook 01)."""
from __future__ import annotations

import re


def chunk_words(text: str, size: int, overlap: int = 0) -> list[str]:
    """Fixed-size chunks of ``size`` words; each starts ``size - overlap`` words after the last.

    The last chunk may be shorter; a text of ``size`` words or fewer is one chunk; an empty
    text gives no chunks. Raises ``ValueError`` unless ``0 <= overlap < size``.
    """
    return [" ".join(words) for words in _windows(text.split(), size, overlap)]


def _windows(items: list, size: int, overlap: int) -> list[list]:
    """Runs of ``size`` items, each starting ``size - overlap`` after the last, stopping once one reaches the end."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    windows = []
    for start in range(0, len(items), size - overlap):
        windows.append(items[start:start + size])
        if start + size >= len(items):
            break
    return windows


def chunk_text(text: str, size: int, overlap: int = 0, max_tokens: int | None = None, count_tokens=None) -> list[str]:
    """The chunks of :func:`chunk_words`, cut from the original text so line breaks (and so
    markdown tables and lists) survive, and split further where a chunk exceeds ``max_tokens``.

    ``count_tokens(text) -> int`` counts tokens as the embedder does (it reads at most
    ``max_tokens``; anything beyond is silently cut off). An over-long chunk is split in two
    halves by words, again and again, until every piece fits.
    """
    if (max_tokens is None) != (count_tokens is None):
        raise ValueError("give both max_tokens and count_tokens, or neither")
    pieces = _windows([m.span() for m in re.finditer(r"\S+", text)], size, overlap)  # the same words as chunk_words
    chunks = []
    while pieces:
        words = pieces.pop(0)
        chunk = text[words[0][0]:words[-1][1]]
        if max_tokens is not None and len(words) > 1 and count_tokens(chunk) > max_tokens:
            half = len(words) // 2
            pieces[:0] = [words[:half], words[half:]]
            continue
        chunks.append(chunk)
    return chunks


# ---- Notebook 02: smarter strategies. Each is a few lines; the notebook builds them by hand first. ----

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*`\"(\[])")


def text_units(text: str) -> list[str]:
    """The units a chunker should not cut: headings, whole tables, list items and sentences.

    A table (consecutive lines starting with ``|``) is one unit, so it is never split across chunks;
    a heading is its own unit; other lines are split into sentences.
    """
    units, table = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            units.append("\n".join(table))
            table = []
        line = line.strip()
        if not line:
            continue
        if line.startswith("#") or re.match(r"^([-*]|\d+\.)\s", line):
            units.append(line)
        else:
            units.extend(s for s in _SENTENCE_END.split(line) if s)
    if table:
        units.append("\n".join(table))
    return units


def pack_sentences(sentences: list[str], max_words: int, overlap: int = 0) -> list[str]:
    """Greedily pack consecutive sentences into chunks of at most ``max_words`` words (a longer
    sentence is a chunk on its own); each new chunk repeats the last ``overlap`` sentences of the
    previous one. Sentences are joined with a newline so tables and lists keep their layout.
    """
    if max_words < 1 or overlap < 0:
        raise ValueError(f"need max_words >= 1 and overlap >= 0, got {max_words}, {overlap}")
    chunks, start = [], 0
    while start < len(sentences):
        end, words = start, 0
        while end < len(sentences) and (end == start or words + len(sentences[end].split()) <= max_words):
            words += len(sentences[end].split())
            end += 1
        chunks.append("\n".join(sentences[start:end]))
        if end == len(sentences):
            break
        start = max(end - overlap, start + 1)  # always move forward
    return chunks


def split_by_headings(text: str) -> list[str]:
    """Markdown sections: a new section starts at every heading line (``#`` to ``######``) outside a
    fenced code block (a ``# comment`` inside a code block is not a heading); text before the first
    heading is a section of its own. Empty sections are dropped."""
    sections, current, in_code = [], [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and re.match(r"^#{1,6}\s", line) and current:
            sections.append("\n".join(current).strip())
            current = []
        current.append(line)
    sections.append("\n".join(current).strip())
    return [s for s in sections if s]


def markdown_chunks(text: str, title: str, max_words: int) -> list[str]:
    """One chunk per markdown section, prefixed with the document title so a section keeps its
    context; a section longer than ``max_words`` is packed by :func:`pack_sentences` (tables stay whole)."""
    chunks = []
    for section in split_by_headings(text):
        prefix = "" if section.startswith(f"# {title}") else f"{title}\n"
        for piece in pack_sentences(text_units(section), max_words):
            chunks.append(prefix + piece)
    return chunks


def recursive_split(text: str, max_tokens: int, count_tokens, separators=("\n## ", "\n### ", "\n\n", "\n", ". ", " ")) -> list[str]:
    """Split at the coarsest separator that occurs, merge neighbouring pieces while they fit in
    ``max_tokens``, and recurse with finer separators into pieces that still do not fit."""
    if count_tokens(text) <= max_tokens or not separators:
        return [text]
    sep, finer = separators[0], separators[1:]
    if sep not in text:
        return recursive_split(text, max_tokens, count_tokens, finer)
    parts = text.split(sep)
    parts = [parts[0]] + [sep.lstrip(" ") + p if sep.startswith("\n#") else p for p in parts[1:]]
    joiner = "" if sep.startswith("\n#") else sep
    chunks, current = [], ""
    for part in parts:
        candidate = current + joiner + part if current else part
        if current and count_tokens(candidate) > max_tokens:
            chunks.extend(recursive_split(current, max_tokens, count_tokens, finer))
            current = part
        else:
            current = candidate
    chunks.extend(recursive_split(current, max_tokens, count_tokens, finer))
    return [c.strip() for c in chunks if c.strip()]


def token_chunks(text: str, tokenizer, size: int, overlap: int = 0) -> list[str]:
    """Fixed-size chunks of ``size`` tokens (the embedder's tokenizer), cut from the original text
    at token boundaries so no word piece is split."""
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
    return [text[window[0][0]:window[-1][1]] for window in _windows(offsets, size, overlap)] if offsets else []


def semantic_breakpoints(vectors, percentile: float = 90) -> list[int]:
    """Where to cut a sequence of sentence vectors: after sentence ``i`` when the cosine distance
    between sentences ``i`` and ``i+1`` is above the given percentile of the document's distances."""
    import numpy as np

    if len(vectors) < 2:
        return []
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    distances = 1 - np.sum(unit[:-1] * unit[1:], axis=1)
    threshold = np.percentile(distances, percentile)
    return [i for i, d in enumerate(distances) if d > threshold]


def semantic_chunks(units: list[str], vectors, max_words: int, percentile: float = 90) -> list[str]:
    """Cut the units where the topic shifts (:func:`semantic_breakpoints`), then pack each group
    into chunks of at most ``max_words`` words."""
    cuts = [i + 1 for i in semantic_breakpoints(vectors, percentile)]
    groups = [units[a:b] for a, b in zip([0, *cuts], [*cuts, len(units)]) if units[a:b]]
    return [chunk for group in groups for chunk in pack_sentences(group, max_words)]


def fit_token_limit(chunks: list[str], max_tokens: int, count_tokens) -> list[str]:
    """Every chunk cut down to the embedder's limit: an over-long chunk is halved by words until each
    piece fits (as :func:`chunk_text` does), so no text is silently dropped by the embedder."""
    fitted = []
    for chunk in chunks:
        n_words = len(chunk.split())
        fitted.extend(chunk_text(chunk, n_words, 0, max_tokens, count_tokens) if n_words else [])
    return fitted


#: The strategies of notebook 02, by the names its tables use.
STRATEGIES = ("fixed words (01)", "fixed tokens", "sentences + overlap", "recursive", "markdown sections", "semantic",
              "LlamaIndex SentenceSplitter")


def build_chunks(strategy: str, docs, embedder, model_id: str, chunk_words: int = 120, semantic_percentile: float = 90) -> list[dict]:
    """Chunk ``docs`` with one of notebook 02's :data:`STRATEGIES` (same settings as there), every chunk
    within the embedder's token limit: ``[{"chunk_id", "doc_id", "text"}]`` in document order."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown chunking {strategy!r}; choose one of {list(STRATEGIES)}")
    max_tokens = embedder.max_seq_length
    count_tokens = lambda text: len(embedder.tokenizer(text, verbose=False).input_ids)  # noqa: E731
    tokens = int(round(chunk_words * 1.6))
    if strategy == "semantic":
        from .retrieval import encode_cached

        units = {d.id: text_units(d.text) for d in docs}
        vectors = encode_cached(embedder, [u for d in docs for u in units[d.id]], model_id)
        starts = dict(zip([d.id for d in docs], [0, *list(__import__("itertools").accumulate(len(units[d.id]) for d in docs))]))
    if strategy == "LlamaIndex SentenceSplitter":
        from llama_index.core.node_parser import SentenceSplitter

        splitter = SentenceSplitter(chunk_size=tokens, chunk_overlap=tokens // 6,
                                    tokenizer=lambda t: embedder.tokenizer(t, add_special_tokens=False, verbose=False).input_ids)
    chunkers = {
        "fixed words (01)": lambda d: chunk_text(d.text, chunk_words, 20),
        "fixed tokens": lambda d: token_chunks(d.text, embedder.tokenizer, tokens, tokens // 6),
        "sentences + overlap": lambda d: pack_sentences(text_units(d.text), chunk_words, 1),
        "recursive": lambda d: recursive_split(d.text, tokens, count_tokens),
        "markdown sections": lambda d: markdown_chunks(d.text, d.title, chunk_words),
        "semantic": lambda d: semantic_chunks(units[d.id], vectors[starts[d.id]:starts[d.id] + len(units[d.id])], chunk_words,
                                              semantic_percentile),
        "LlamaIndex SentenceSplitter": lambda d: splitter.split_text(d.text),
    }
    return [{"chunk_id": f"{d.id}#{i}", "doc_id": d.id, "text": text}
            for d in docs for i, text in enumerate(fit_token_limit(chunkers[strategy](d), max_tokens, count_tokens))]
