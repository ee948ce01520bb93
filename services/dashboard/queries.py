"""The dashboard's generic SELECTs, so a page costs a few indexed scans however many predictions the store
holds: a kind's count and time range, and its traffic aggregated in SQL per bucket. Live quality is the
kind's to count (`ModelKind.live_quality`), bounded by the answers its predictions got, not by the traffic.

Buckets are whole multiples of `width` seconds since the epoch, computed by the database (`strftime` on
SQLite, `extract(epoch ...)` on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from closedloop.store.tables import Prediction


@dataclass(frozen=True)
class Activity:
    """How much a model has served: the first and last prediction time and the count."""

    n: int
    first: datetime | None
    last: datetime | None


def activity(session: Session, *, model: str) -> Activity:
    """Count and time range of `model`'s predictions (served from the (model, created_at) index)."""
    row = session.execute(
        select(func.count(), func.min(Prediction.created_at), func.max(Prediction.created_at)).where(
            Prediction.model == model
        )
    ).one()
    first, last = (_aware(value) for value in row[1:])
    return Activity(n=int(row[0]), first=first, last=last)


def traffic(session: Session, *, model: str, since: datetime, width: int) -> dict[int, int]:
    """Predictions per bucket since `since`."""
    bucket = _bucket(session, width)
    query = (
        select(bucket, func.count())
        .where(Prediction.model == model, Prediction.created_at >= since)
        .group_by(bucket)
    )
    return {int(b): int(n) for b, n in session.execute(query)}


def _bucket(session: Session, width: int) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", Prediction.created_at), Integer)
        return cast(seconds / width, Integer)  # integer division on SQLite
    return cast(func.floor(func.extract("epoch", Prediction.created_at) / width), Integer)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
