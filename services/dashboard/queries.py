"""The dashboard's SELECTs: every one aggregates in SQL over an indexed time range, so a page costs a handful
of grouped scans however many predictions the store holds.

Buckets are whole multiples of `width` seconds since the epoch, computed by the database (`strftime` on
SQLite, `extract(epoch ...)` on PostgreSQL); each function returns `{bucket: counts}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from closedloop.store.tables import FeedbackEvent, Prediction


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


def recsys_engagement(session: Session, *, since: datetime, width: int) -> dict[int, tuple[int, int, int]]:
    """(lists shown, items shown, lists clicked) per bucket (clicks: on listed items, checked on write)."""
    clicked = (
        select(FeedbackEvent.prediction_id)
        .where(FeedbackEvent.kind == "click", FeedbackEvent.prediction_id == Prediction.id)
        .exists()
    )
    bucket = _bucket(session, width)
    query = (
        select(bucket, func.count(), func.sum(_list_length(session)), _count(clicked))
        .where(Prediction.model == "recsys", Prediction.created_at >= since)
        .group_by(bucket)
    )
    return {int(b): (int(n), int(items or 0), int(hits)) for b, n, items, hits in session.execute(query)}


def recsys_clicks(session: Session, *, since: datetime, width: int) -> dict[int, int]:
    """Click events per bucket of the clicked prediction's time (the numerator of the click-through rate)."""
    bucket = _bucket(session, width)
    query = (
        select(bucket, func.count())
        .join(FeedbackEvent, FeedbackEvent.prediction_id == Prediction.id)
        .where(Prediction.model == "recsys", Prediction.created_at >= since, FeedbackEvent.kind == "click")
        .group_by(bucket)
    )
    return {int(b): int(n) for b, n in session.execute(query)}


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _bucket(session: Session, width: int) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", Prediction.created_at), Integer)
        return cast(seconds / width, Integer)  # integer division on SQLite
    return cast(func.floor(func.extract("epoch", Prediction.created_at) / width), Integer)


def _list_length(session: Session) -> ColumnElement[int]:
    if session.get_bind().dialect.name == "sqlite":
        return func.json_array_length(Prediction.output, "$.items")
    return func.jsonb_array_length(Prediction.output["items"])


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
