"""What a kind hands the dashboard about its live quality: the family of figures it measures (their
captions and how they come of additive counts per time bucket) and the counts of one time window.

A family is data, so that the dashboard draws any kind's quality without naming one: a binary classifier
reuses `closedloop.monitoring.figures.confusion_family`, a ranking kind defines its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

EPOCH = pd.Timestamp(0, tz="UTC")


@dataclass(frozen=True)
class Figure:
    """One live-quality figure on the dashboard: its key among a family's figures, its caption, and how many
    digits it is shown with."""

    key: str
    caption: str
    digits: int = 3


@dataclass(frozen=True)
class QualityFamily:
    """How a kind's live quality is counted and shown: additive `counts` per time bucket (summing them over
    any set of buckets is meaningful), the `figures` that `compute` makes of summed counts (in `counts`
    order; None where undefined), what an answered prediction is called, and a note on how it is judged."""

    counts: tuple[str, ...]
    figures: tuple[Figure, ...]
    compute: Callable[[Sequence[float]], Mapping[str, float | None]]
    answered: str  # the caption of how many predictions got an answer ("labeled by feedback")
    note: str


@dataclass(frozen=True)
class LiveQuality:
    """A kind's live quality over a time window: its `family`, the counts per bucket (bucket -> one value
    per `family.counts`) and how many predictions in the window got an answer from reality."""

    family: QualityFamily
    buckets: dict[int, tuple[float, ...]]
    answered: int


def time_buckets(times: pd.Series, width: int) -> pd.Series:
    """The bucket of each (UTC) time: whole `width`-second steps since the epoch, as the dashboard counts
    traffic (vectorised: a page reads thousands of answers)."""
    return ((times - EPOCH) // pd.Timedelta(seconds=width)).astype("int64")
