"""Predictions: logged in bulk, read back intact, joined with their latest feedback for monitoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from closedloop.store import (
    PredictionNotFound,
    get_prediction,
    log_predictions,
    recent_predictions,
    record_feedback,
)
from closedloop.store.tables import Prediction
from tests.kernel.store.factories import (
    KINDS,
    count_rows,
    feedback,
    logged,
    recsys_prediction,
    spam_prediction,
)


def test_logged_predictions_read_back_intact(session: Session) -> None:
    spam = spam_prediction(shadow_version="4", shadow_output={"spam_probability": 0.4})
    recs = recsys_prediction()
    assert log_predictions(session, rows=[spam, recs]) == 2
    assert log_predictions(session, rows=[]) == 0
    assert count_rows(session, Prediction) == 2
    assert get_prediction(session, prediction_id=spam.id) == spam
    assert get_prediction(session, prediction_id=recs.id).created_at.tzinfo is not None


def test_unknown_prediction_is_not_found(session: Session) -> None:
    with pytest.raises(PredictionNotFound, match="nope"):
        get_prediction(session, prediction_id="nope")


def test_recent_predictions_carry_latest_feedback(session: Session) -> None:
    now = datetime.now(UTC)
    old, new, quiet = logged(
        session,
        spam_prediction(created_at=now - timedelta(days=2)),
        spam_prediction(created_at=now - timedelta(minutes=1)),
        spam_prediction(created_at=now),
    )
    logged(session, recsys_prediction(created_at=now))
    record_feedback(session, kinds=KINDS, event=feedback(new, kind="report_spam"))
    record_feedback(session, kinds=KINDS, event=feedback(new, kind="not_spam", actor="bob"))

    frame = recent_predictions(session, model="spam", limit=10)
    assert frame["prediction_id"].tolist() == [quiet.id, new.id, old.id]  # newest first, spam only
    latest = frame.set_index("prediction_id")
    assert latest.loc[new.id, "feedback_kind"] == "not_spam"
    assert latest.loc[new.id, "feedback_count"] == 2
    assert latest.loc[quiet.id, "feedback_count"] == 0
    assert str(frame["created_at"].dt.tz) == "UTC"

    since = recent_predictions(session, model="spam", since=now - timedelta(hours=1), limit=1)
    assert since["prediction_id"].tolist() == [quiet.id]
