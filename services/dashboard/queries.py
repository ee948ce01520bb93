"""The dashboard's SELECTs, so a page costs a handful of indexed scans however many predictions the store
holds: traffic and the spam filter's confusion counts aggregate in SQL, per bucket; the recommender's
reacted lists come back row by row, bounded by their reactions (feedback events and interactions that name a
list, read and judged by `closedloop.store.read_reactions`, as the monitoring flow reads them), since whether
a list is a hit depends on where the liked item sat.

Buckets are whole multiples of `width` seconds since the epoch, computed by the database (`strftime` on
SQLite, `extract(epoch ...)` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from closedloop.store.tables import FeedbackEvent, Prediction

ID_CHUNK = 5_000  # ids per IN (...): well under SQLite's limit on bound parameters


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


def spam_confusion(session: Session, *, since: datetime, width: int) -> dict[int, tuple[int, int, int, int]]:
    """(tp, fp, fn, tn) per bucket of prediction time, over spam predictions that got feedback.

    The label is the latest feedback on the prediction (report_spam → 1, not_spam → 0); the decision is the
    served `is_spam`. Only predictions with feedback join, so the scan is bounded by the feedback table.
    """
    later = aliased(FeedbackEvent)
    latest = select(func.max(later.id)).where(later.prediction_id == Prediction.id).scalar_subquery()
    spam = FeedbackEvent.kind == "report_spam"
    said = Prediction.output["is_spam"].as_boolean()
    bucket = _bucket(session, width)
    query = (
        select(
            bucket,
            _count(and_(spam, said)),
            _count(and_(~spam, said)),
            _count(and_(spam, ~said)),
            _count(and_(~spam, ~said)),
        )
        .join(FeedbackEvent, FeedbackEvent.prediction_id == Prediction.id)
        .where(Prediction.model == "spam", Prediction.created_at >= since, FeedbackEvent.id == latest)
        .group_by(bucket)
    )
    return {int(b): (int(tp), int(fp), int(fn), int(tn)) for b, tp, fp, fn, tn in session.execute(query)}


def recsys_lists(session: Session, *, prediction_ids: Collection[str], width: int) -> pd.DataFrame:
    """The recommendation lists `prediction_ids` (those that got a reaction): their bucket and items, indexed
    by prediction_id. Row by row, but bounded by the reactions, like `spam_confusion` by the feedback."""
    bucket = _bucket(session, width)
    rows: list[tuple[str, int, list[int]]] = []
    ids = list(prediction_ids)
    for start in range(0, len(ids), ID_CHUNK):
        query = select(Prediction.id, bucket, Prediction.output).where(
            Prediction.id.in_(ids[start : start + ID_CHUNK])
        )
        rows += [(i, int(b), list(output.get("items", []))) for i, b, output in session.execute(query)]
    frame = pd.DataFrame(rows, columns=["prediction_id", "bucket", "items"])
    return frame.set_index("prediction_id")


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _bucket(session: Session, width: int) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", Prediction.created_at), Integer)
        return cast(seconds / width, Integer)  # integer division on SQLite
    return cast(func.floor(func.extract("epoch", Prediction.created_at) / width), Integer)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
