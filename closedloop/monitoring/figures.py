"""Live-quality figures that any kind may share: JSON-safe numbers, and the confusion-count family of a
binary classifier (counts tp, fp, fn, tn per time bucket; F1, precision, recall and FPR of their sums).

A kind hands the dashboard its `QualityFamily` (`closedloop.kinds.quality`); a classifier reuses
`confusion_family` with its own words for what an answer is, a ranking kind defines its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from closedloop.kinds.quality import Figure, QualityFamily

CONFUSION_COUNTS = ("tp", "fp", "fn", "tn")
CONFUSION_FIGURES = (
    Figure("f1", "F1"),
    Figure("precision", "precision"),
    Figure("recall", "recall"),
    Figure("fpr", "FPR", digits=4),  # false positives are rare: three digits would show 0.000
)


def finite(value: float | int) -> float | None:
    """JSON has no NaN: an undefined metric (AUC on one class) is null."""
    value = float(value)
    return value if math.isfinite(value) else None


def ratio(num: float, den: float) -> float | None:
    """num / den, None when nothing was counted."""
    return float(num) / float(den) if den else None


def confusion_figures(counts: Sequence[float]) -> dict[str, float | None]:
    """(tp, fp, fn, tn) -> f1, precision, recall, fpr."""
    tp, fp, fn, tn = counts
    return {
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "fpr": ratio(fp, fp + tn),
    }


def confusion_family(*, answered: str, note: str) -> QualityFamily:
    """The binary classifier's family; `answered` names a prediction with a known label, `note` says where
    the labels come from."""
    return QualityFamily(
        counts=CONFUSION_COUNTS,
        figures=CONFUSION_FIGURES,
        compute=confusion_figures,
        answered=answered,
        note=note,
    )
