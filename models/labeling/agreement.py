"""Chance-corrected agreement between two annotators."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same items, `(p_o - p_e) / (1 - p_e)`.

    `a[i]` and `b[i]` are the two labels of item i. Returns None where kappa is undefined: no items, or
    chance agreement of 1 (both annotators used one and the same label throughout).
    """
    if len(a) != len(b):
        raise ValueError(f"both annotators need a label per item: got {len(a)} and {len(b)} labels")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    counts_a, counts_b = Counter(a), Counter(b)
    # chance agreement: both pick label c independently with their own marginal frequencies
    expected = sum(counts_a[c] * counts_b[c] for c in counts_a.keys() & counts_b.keys()) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)
