"""Split documents into chunks for retrieval (taught by hand in notebook 01)."""
from __future__ import annotations


def chunk_words(text: str, size: int, overlap: int = 0) -> list[str]:
    """Fixed-size chunks of ``size`` words; each starts ``size - overlap`` words after the last.

    The last chunk may be shorter; a text of ``size`` words or fewer is one chunk; an empty
    text gives no chunks. Raises ``ValueError`` unless ``0 <= overlap < size``.
    """
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    words = text.split()
    step = size - overlap
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start:start + size]))
        if start + size >= len(words):
            break
    return chunks
