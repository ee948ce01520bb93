"""Served predictions: logged in bulk by the API, read back by feedback validation and monitoring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from closedloop.store.errors import PredictionNotFound
from closedloop.store.records import PredictionRecord
from closedloop.store.tables import FeedbackEvent, Prediction

RECENT_COLUMNS = [
    "prediction_id",
    "model_version",
    "created_at",
    "score",
    "input",
    "output",
    "shadow_version",
    "shadow_output",
    "feedback_count",
    "feedback_kind",
    "feedback_value",
    "feedback_actor",
    "feedback_at",
]


def log_predictions(session: Session | Connection, *, rows: Sequence[PredictionRecord]) -> int:
    """Insert served predictions in one executemany statement and commit; returns how many were stored.

    Commits before returning, so feedback against these ids is accepted as soon as the client sees them.
    A bare `Connection` (no ORM session around it) is the cheapest way in, for a caller an answer waits on.
    """
    if not rows:
        return 0
    # A Core insert: the ORM's bulk-insert path cost twice as much (~0.2 ms more per commit).
    connection = session.connection() if isinstance(session, Session) else session
    connection.execute(insert(Prediction), [row.model_dump() for row in rows])
    session.commit()
    return len(rows)


def record_shadow_scores(session: Session, *, rows: Sequence[PredictionRecord]) -> int:
    """Fill in `shadow_version` / `shadow_output` of logged predictions (the challenger scores them after
    they were logged and answered) and commit; returns how many were updated."""
    scored = [
        {"row_id": r.id, "shadow_version": r.shadow_version, "shadow_output": r.shadow_output}
        for r in rows
        if r.shadow_version is not None
    ]
    if not scored:
        return 0
    table = Prediction.__table__
    assert isinstance(table, Table)  # a mapped class's __table__ is typed as FromClause
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(shadow_version=bindparam("shadow_version"), shadow_output=bindparam("shadow_output"))
    )
    session.connection().execute(statement, scored)
    session.commit()
    return len(scored)


def get_prediction(session: Session, *, prediction_id: str) -> PredictionRecord:
    """One logged prediction; raises `PredictionNotFound` for an unknown id."""
    row = session.get(Prediction, prediction_id)
    if row is None:
        raise PredictionNotFound(prediction_id)
    return PredictionRecord.model_validate(row)


def recent_predictions(
    session: Session, *, model: str, since: datetime | None = None, limit: int = 10_000
) -> pd.DataFrame:
    """The newest predictions of `model` (newest first), each with its latest feedback, for monitoring.

    Columns: `RECENT_COLUMNS`; the `feedback_*` columns are empty (NaN / None / NaT) where no feedback came.
    """
    recent = select(Prediction).where(Prediction.model == model)
    if since is not None:
        recent = recent.where(Prediction.created_at >= since)
    picked = recent.order_by(Prediction.created_at.desc()).limit(limit).subquery()
    latest = (
        select(
            FeedbackEvent.prediction_id,
            func.max(FeedbackEvent.id).label("last_id"),
            func.count().label("n"),
        )
        .where(FeedbackEvent.prediction_id.in_(select(picked.c.id)))
        .group_by(FeedbackEvent.prediction_id)
        .subquery()
    )
    query = (
        select(
            picked.c.id,
            picked.c.model_version,
            picked.c.created_at,
            picked.c.score,
            picked.c.input,
            picked.c.output,
            picked.c.shadow_version,
            picked.c.shadow_output,
            func.coalesce(latest.c.n, 0),
            FeedbackEvent.kind,
            FeedbackEvent.value,
            FeedbackEvent.actor,
            FeedbackEvent.received_at,
        )
        .outerjoin(latest, latest.c.prediction_id == picked.c.id)
        .outerjoin(FeedbackEvent, FeedbackEvent.id == latest.c.last_id)
        .order_by(picked.c.created_at.desc(), picked.c.id)
    )
    frame = pd.DataFrame([tuple(row) for row in session.execute(query)], columns=RECENT_COLUMNS)
    for column in ("created_at", "feedback_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.astype({"feedback_count": "int64", "score": "float64"})


def shadow_predictions(
    session: Session, *, model: str, champion_version: str, challenger_version: str
) -> pd.DataFrame:
    """Predictions `champion_version` served while `challenger_version` shadow-scored them: columns
    `prediction_id`, `input`, `output` (the champion's), `shadow_output` (the challenger's), oldest first."""
    query = (
        select(Prediction.id, Prediction.input, Prediction.output, Prediction.shadow_output)
        .where(
            Prediction.model == model,
            Prediction.model_version == champion_version,
            Prediction.shadow_version == challenger_version,
        )
        .order_by(Prediction.created_at, Prediction.id)
    )
    rows = [tuple(row) for row in session.execute(query)]
    return pd.DataFrame(rows, columns=["prediction_id", "input", "output", "shadow_output"])
