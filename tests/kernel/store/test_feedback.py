"""Feedback: idempotent on event_id, validated against its prediction, nothing stored when refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from closedloop.store import (
    IdempotencyConflict,
    InvalidFeedback,
    PredictionNotFound,
    record_feedback,
    record_feedback_batch,
)
from closedloop.store.tables import FeedbackEvent
from tests.kernel.store.factories import (
    KINDS,
    count_rows,
    feedback,
    logged,
    recsys_prediction,
    spam_prediction,
)


def test_replay_returns_the_original_and_stores_nothing(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    event = feedback(prediction, kind="report_spam")
    first, created = record_feedback(session, kinds=KINDS, event=event)
    again, created_again = record_feedback(session, kinds=KINDS, event=event)
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.received_at.tzinfo is not None
    assert count_rows(session, FeedbackEvent) == 1


def test_conflicting_replay_is_refused(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    first, _ = record_feedback(
        session, kinds=KINDS, event=feedback(prediction, kind="report_spam", event_id="ev-1")
    )
    with pytest.raises(IdempotencyConflict) as raised:
        record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="not_spam", event_id="ev-1"))
    assert raised.value.original_id == first.id
    assert count_rows(session, FeedbackEvent) == 1
    assert (
        record_feedback(
            session, kinds=KINDS, event=feedback(prediction, kind="report_spam", event_id="ev-1")
        )[0]
        == first
    )


def test_unknown_prediction_stores_nothing(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    with pytest.raises(PredictionNotFound):
        record_feedback(session, kinds=KINDS, event=feedback(prediction, prediction_id="missing"))
    assert count_rows(session, FeedbackEvent) == 0


@pytest.mark.parametrize(
    ("model", "kind", "value", "message"),
    [
        ("spam", "click", 10, "does not apply to a spam prediction"),
        ("recsys", "report_spam", None, "does not apply to a recsys prediction"),
        ("recsys", "click", 99, "not recommended"),
        ("recsys", "click", "10", "item id"),
        ("recsys", "rating", {"item_id": 10, "rating": 9}, "1 to 5"),
        ("recsys", "rating", 10, "rating feedback needs"),
    ],
)
def test_feedback_that_does_not_fit_is_invalid(
    session: Session, model: str, kind: str, value: object, message: str
) -> None:
    [prediction] = logged(session, spam_prediction() if model == "spam" else recsys_prediction())
    with pytest.raises(InvalidFeedback, match=message):
        record_feedback(session, kinds=KINDS, event=feedback(prediction, kind=kind, value=value))  # type: ignore[arg-type]
    assert count_rows(session, FeedbackEvent) == 0


def test_recsys_feedback_and_backdated_time_are_kept(session: Session) -> None:
    [prediction] = logged(session, recsys_prediction(items=(10, 20)))
    when = datetime.now(UTC) - timedelta(days=3)
    rating, _ = record_feedback(
        session,
        kinds=KINDS,
        event=feedback(prediction, kind="rating", value={"item_id": 20, "rating": 4}, received_at=when),
    )
    assert rating.value == {"item_id": 20, "rating": 4}
    assert rating.received_at == when


def test_batch_is_all_or_nothing(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    good = feedback(prediction)
    with pytest.raises(PredictionNotFound):
        record_feedback_batch(
            session, kinds=KINDS, events=[good, feedback(prediction, prediction_id="missing")]
        )
    assert count_rows(session, FeedbackEvent) == 0

    replay = feedback(prediction, event_id=good.event_id)
    results = record_feedback_batch(
        session, kinds=KINDS, events=[good, feedback(prediction, actor="bob"), replay]
    )
    assert [created for _, created in results] == [True, True, False]
    assert results[2][0] == results[0][0]
    assert results[0][0].id < results[1][0].id
    assert count_rows(session, FeedbackEvent) == 2


def test_batch_with_conflicting_duplicate_stores_nothing(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    events = [
        feedback(prediction, event_id="x", kind="report_spam"),
        feedback(prediction, event_id="x", kind="not_spam"),
    ]
    with pytest.raises(IdempotencyConflict, match="same batch"):
        record_feedback_batch(session, kinds=KINDS, events=events)
    assert count_rows(session, FeedbackEvent) == 0
