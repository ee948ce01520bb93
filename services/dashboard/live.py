"""The live panels of one model: traffic per bucket, quality from feedback (for the recommender: every
reaction to a list, sent as feedback or as an interaction) rolled over the last buckets, and the champion's
moves inside the same window, which both charts mark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closedloop.store import AliasMove, read_reactions
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


def live_panel(
    session: Session, *, model: str, activity: queries.Activity, moves: list[AliasMove]
) -> dict[str, Any] | None:
    """Traffic, quality and champion moves over the window ending at the newest prediction; None before any
    prediction. `moves`: the model's alias moves, newest first (`closedloop.store.alias_history`)."""
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
        "champion_moves": champion_moves(moves, window),
    }


def champion_moves(moves: list[AliasMove], window: Window) -> list[dict[str, Any]]:
    """Where the champion alias moved (promotion, rollback, manual move) inside `window`, oldest first:
    `t` in epoch seconds like the charts' x axis, `label` the version it moved to ("v3")."""
    inside = [m for m in moves if m.alias == "champion" and window.since <= m.created_at <= window.until]
    return [
        {
            "t": int(move.created_at.timestamp()),
            "at": _iso(move.created_at),
            "version": move.to_version,
            "from_version": move.from_version,
            "label": f"v{move.to_version}" if move.to_version else "removed",
            "reason": move.reason,
        }
        for move in sorted(inside, key=lambda m: (m.created_at, m.id))
    ]


def _spam_counts(session: Session, window: Window, traffic: dict[int, int]) -> tuple[Counts, int]:
    """(tp, fp, fn, tn) per bucket and how many predictions got feedback."""
    confusion = queries.spam_confusion(session, since=window.since, width=window.width)
    counts: Counts = {b: tuple(float(n) for n in c) for b, c in confusion.items()}
    return counts, sum(sum(c) for c in confusion.values())


def _recsys_counts(session: Session, window: Window, traffic: dict[int, int]) -> tuple[Counts, int]:
    """`COUNTS` per bucket (lists served from the traffic, the rest from the lists' reactions) and how many
    lists got an answer; the same reactions (`read_reactions`: feedback and interactions) and per-list rules
    (`list_outcomes`) as the monitoring flow."""
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
