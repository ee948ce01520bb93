"""Accent stripping as scikit-learn's `strip_accents_unicode` does it, without its per-character loop.

scikit-learn decomposes a non-ASCII text (NFKD) and keeps the characters that are not combining marks,
testing them one at a time in Python: ~1 ms for a 20,000-character message with one accented letter.
Here the decomposed text's code points are one numpy array; only its distinct non-ASCII code points
(a handful) are tested, and the combining ones are dropped in one mask. Same output, character for
character.
"""

from __future__ import annotations

import unicodedata

import numpy as np

_ASCII_LIMIT = 128


def strip_accents(text: str) -> str:
    """`text` with accents removed: NFKD, then every combining character dropped ("café" -> "cafe")."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    # surrogatepass: a lone surrogate (from a badly decoded mail) survives the round trip unchanged.
    codes = np.frombuffer(normalized.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)  # (len,)
    distinct = np.unique(codes[codes >= _ASCII_LIMIT])
    combining = [code for code in distinct.tolist() if unicodedata.combining(chr(code))]
    if not combining:
        return normalized
    kept = codes[~np.isin(codes, combining)]
    return kept.tobytes().decode("utf-32-le", "surrogatepass")
