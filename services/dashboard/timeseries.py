"""Time windows and rolling metrics for the live-quality and traffic charts.

The window ends at the newest prediction (live traffic: now; a replay: the end of the replayed history) and
spans at most a day; the bucket width is the smallest round one that keeps the chart under `MAX_BUCKETS`.
What is counted per bucket, and which figures come of the counts, is the kind's (`QualityFamily`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTHS = [(60, "minute"), (300, "5 minutes"), (900, "15 minutes"), (3600, "hour"), (21_600, "6 hours")]
MAX_SPAN = timedelta(days=1)
MAX_BUCKETS = 60
ROLLING_BUCKETS = 5  # quality is noisy per bucket: each point sums the feedback of the last five buckets


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    width: int  # seconds per bucket
    unit: str  # "minute", "hour", ... for labels ("predictions per minute")

    @property
    def buckets(self) -> list[int]:
        """Every bucket index from the window's start to its end, gaps included (epoch seconds / width)."""
        first, last = int(self.since.timestamp()) // self.width, int(self.until.timestamp()) // self.width
        return list(range(first, last + 1))


def choose_window(*, first: datetime, last: datetime) -> Window:
    """The window over `[max(first, last - 1 day), last]` and its bucket width."""
    since = max(first, last - MAX_SPAN)
    span = (last - since).total_seconds()
    width, unit = next(((w, u) for w, u in WIDTHS if span / w < MAX_BUCKETS), WIDTHS[-1])
    since = datetime.fromtimestamp(int(since.timestamp()) // width * width, tz=since.tzinfo)
    return Window(since=since, until=last, width=width, unit=unit)


def times(window: Window) -> list[int]:
    """Bucket start times in epoch seconds, the charts' x axis."""
    return [b * window.width for b in window.buckets]


def series(window: Window, counts: Mapping[int, int]) -> list[int]:
    """One value per bucket, 0 where nothing came."""
    return [counts.get(b, 0) for b in window.buckets]


Figures = Callable[[Sequence[float]], Mapping[str, float | None]]  # summed counts -> named figures


def rolling(
    window: Window, counts: Mapping[int, Sequence[float]], figures: Figures
) -> dict[str, list[float | None]]:
    """Per bucket, the figures over the counts of the last `ROLLING_BUCKETS` buckets (None: no data)."""
    buckets = window.buckets
    width = len(next(iter(counts.values()), ()))
    out: dict[str, list[float | None]] = {}
    for i in range(len(buckets)):
        recent = [counts[b] for b in buckets[max(0, i - ROLLING_BUCKETS + 1) : i + 1] if b in counts]
        summed = [sum(c[k] for c in recent) for k in range(width)]
        for name, value in figures(summed).items():
            out.setdefault(name, [None] * i).append(value if recent else None)
    return out


def total(counts: Mapping[int, Sequence[float]]) -> list[float]:
    """The counts summed over every bucket (the headline figures)."""
    rows = list(counts.values())
    return [sum(row[k] for row in rows) for k in range(len(rows[0]))] if rows else []
