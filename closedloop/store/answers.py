"""Answers from reality to logged predictions: every feedback event on a prediction, and every logged
interaction that names one (`prediction_id`), read together so that a kind judges both by one rule.

What an answer means is the kind's business (a report labels a message, a rating of a listed item makes a
list a hit); the store only reads them, bounded by the answers themselves: a window of many predictions and
few answers costs a scan of the answers, not of the predictions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.tables import FeedbackEvent, Interaction, Prediction

# One row per answer. `served_at` and `output` are the answered prediction's; `source` says where the answer
# came from ("feedback" or "interaction"); `item_id` is set for interactions only (a feedback event carries
# its item, if any, in `value`, in the shape the store checked on write).
ANSWER_COLUMNS = ["prediction_id", "served_at", "output", "source", "kind", "item_id", "value"]
ANSWER_DTYPES = {
    "prediction_id": "object",
    "served_at": "datetime64[ns, UTC]",
    "output": "object",
    "source": "object",
    "kind": "object",
    "item_id": "Int64",
    "value": "object",
}
Row = tuple[str, datetime, dict[str, Any], str, str, int | None, Any]  # one row of ANSWER_COLUMNS


def read_answers(session: Session, *, model: str, since: datetime | None = None) -> pd.DataFrame:
    """Every answer to a prediction of `model` served at or after `since` (all of them, not only each
    prediction's latest), as `ANSWER_COLUMNS`.

    Feedback events come first, then the interactions of `model` that carry the prediction_id of one of its
    predictions, each in the order they were stored (the last feedback row of a prediction is its latest).
    """
    rows = _feedback(session, model=model, since=since) + _interactions(session, model=model, since=since)
    # Column by column, as objects first: inferring a dtype from the rows would turn a click's item id (an
    # int) into a float beside the stars of interactions in the same `value` column.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(ANSWER_COLUMNS)
    frame = pd.DataFrame(
        {
            name: pd.Series(list(values), dtype="object")
            for name, values in zip(ANSWER_COLUMNS, columns, strict=True)
        }
    )
    frame["served_at"] = pd.to_datetime(frame["served_at"], utc=True)
    return frame.astype(ANSWER_DTYPES)


def _feedback(session: Session, *, model: str, since: datetime | None) -> list[Row]:
    query = (
        select(
            Prediction.id, Prediction.created_at, Prediction.output, FeedbackEvent.kind, FeedbackEvent.value
        )
        .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
        .where(Prediction.model == model)
        .order_by(FeedbackEvent.id)
    )
    if since is not None:
        query = query.where(Prediction.created_at >= since)
    return [
        (prediction_id, served_at, output, "feedback", kind, None, value)
        for prediction_id, served_at, output, kind, value in session.execute(query)
    ]


def _interactions(session: Session, *, model: str, since: datetime | None) -> list[Row]:
    # prediction_id is no foreign key (interactions also name predictions this store never logged): the join
    # keeps those that answer a logged prediction, served in the window.
    query = (
        select(
            Prediction.id,
            Prediction.created_at,
            Prediction.output,
            Interaction.kind,
            Interaction.item_id,
            Interaction.value,
        )
        .join(Prediction, Prediction.id == Interaction.prediction_id)
        .where(Prediction.model == model, Interaction.model == model)
        .order_by(Interaction.id)
    )
    if since is not None:
        query = query.where(Prediction.created_at >= since)
    return [
        (prediction_id, served_at, output, "interaction", kind, int(item_id), value)
        for prediction_id, served_at, output, kind, item_id, value in session.execute(query)
    ]
