"""The live panels of one model kind: traffic per bucket, live quality from what reality said about the
predictions (the kind counts it: `ModelKind.live_quality`) rolled over the last buckets, and the champion's
moves inside the same window, which both charts mark."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from closedloop.kinds.contract import ModelKind
from closedloop.kinds.quality import LiveQuality
from closedloop.store import AliasMove
from services.dashboard import queries
from services.dashboard.timeseries import Window, choose_window, rolling, series, times, total


def live_panel(
    session: Session, *, kind: ModelKind, activity: queries.Activity, moves: list[AliasMove]
) -> dict[str, Any] | None:
    """Traffic, quality and champion moves over the window ending at the newest prediction; None before any
    prediction. `moves`: the kind's alias moves, newest first (`closedloop.store.alias_history`)."""
    if activity.first is None or activity.last is None:
        return None
    window = choose_window(first=activity.first, last=activity.last)
    traffic = queries.traffic(session, model=kind.name, since=window.since, width=window.width)
    live = kind.live_quality(session, since=window.since, width=window.width, served=traffic)
    return {
        "since": _iso(window.since),
        "until": _iso(window.until),
        "unit": window.unit,
        "t": times(window),
        "traffic": series(window, traffic),
        "in_window": sum(traffic.values()),
        "champion_moves": champion_moves(moves, window),
        **(quality(live, window) if live is not None else NOT_MEASURED),
    }


# A kind that measures no live quality: the same keys, none of them filled.
NOT_MEASURED: dict[str, Any] = {
    "measured": False,
    "family": None,
    "feedback": 0,
    "totals": None,
    "counts": None,
    "quality": None,
}


def quality(live: LiveQuality, window: Window) -> dict[str, Any]:
    """The kind's figures in total and rolled per bucket, its counts, and how to show them (`family`)."""
    family = live.family
    summed = total(live.buckets)
    answered = live.answered > 0
    return {
        "measured": True,
        "family": {
            "figures": [asdict(figure) for figure in family.figures],
            "answered": family.answered,
            "note": family.note,
        },
        "feedback": live.answered,
        "totals": dict(family.compute(summed)) if answered else None,
        "counts": dict(zip(family.counts, summed, strict=True)) if live.buckets else None,
        "quality": rolling(window, live.buckets, family.compute) if answered else None,
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
