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
