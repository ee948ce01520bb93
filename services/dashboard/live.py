"""The live panels of one model: traffic per bucket and quality from feedback rolled over the last buckets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closedloop.store import read_reactions
from models.recsys.reactions import COUNTS, list_outcomes
from services.dashboard import queries
from services.dashboard.timeseries import (
    Figures,
    Window,
    choose_window,
    recsys_figures,
    rolling,
    series,
    spam_figures,
    times,
    total,
)

Counts = dict[int, tuple[float, ...]]  # bucket -> counts, summed over buckets before figures are taken


def live_panel(session: Session, *, model: str, activity: queries.Activity) -> dict[str, Any] | None:
    """Traffic and quality over the window ending at the newest prediction; None before any prediction."""
    if activity.first is None or activity.last is None:
        return None
    window = choose_window(first=activity.first, last=activity.last)
    traffic = queries.traffic(session, model=model, since=window.since, width=window.width)
    quality = QUALITY[model]
    counts, feedback = quality.count(session, window, traffic)
    summed = total(counts)
    return {
        "since": _iso(window.since),
        "until": _iso(window.until),
        "unit": window.unit,
        "t": times(window),
        "traffic": series(window, traffic),
        "in_window": sum(traffic.values()),
        "feedback": feedback,
        "totals": dict(quality.figures(summed)) if feedback else None,
        "counts": dict(zip(quality.names, summed, strict=True)) if counts else None,
        "quality": rolling(window, counts, quality.figures) if feedback else None,
    }


def _spam_counts(session: Session, window: Window, traffic: dict[int, int]) -> tuple[Counts, int]:
    """(tp, fp, fn, tn) per bucket and how many predictions got feedback."""
    confusion = queries.spam_confusion(session, since=window.since, width=window.width)
    counts: Counts = {b: tuple(float(n) for n in c) for b, c in confusion.items()}
    return counts, sum(sum(c) for c in confusion.values())


def _recsys_counts(session: Session, window: Window, traffic: dict[int, int]) -> tuple[Counts, int]:
    """`COUNTS` per bucket (lists served from the traffic, the rest from the lists' reactions) and how many
    lists got an answer; the same per-list rules as the monitoring flow (`list_outcomes`)."""
    reactions = read_reactions(session, since=window.since)
    lists = queries.recsys_lists(
        session, prediction_ids=reactions["prediction_id"].unique().tolist(), width=window.width
    )
    outcomes = list_outcomes(lists["items"], reactions)
    per_bucket = outcomes.groupby(lists["bucket"]).sum()
    counts: Counts = {}
    for bucket, served in traffic.items():
        reacted = per_bucket.loc[bucket] if bucket in per_bucket.index else None
        rest = tuple(float(reacted[name]) if reacted is not None else 0.0 for name in COUNTS[1:])
        counts[bucket] = (float(served), *rest)
    return counts, int(outcomes["answered"].sum())


@dataclass(frozen=True)
class Quality:
    """How the live quality of one kind of model is counted per bucket (`names`: the counts, in order), how
    many predictions got feedback, and which figures come of the counts."""

    count: Callable[[Session, Window, dict[int, int]], tuple[Counts, int]]
    figures: Figures
    names: tuple[str, ...]


QUALITY = {
    "spam": Quality(_spam_counts, spam_figures, ("tp", "fp", "fn", "tn")),
    "recsys": Quality(_recsys_counts, recsys_figures, COUNTS),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
