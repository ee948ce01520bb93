"""User feedback on predictions, idempotent on the client's `event_id` and safe under concurrent replays."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closedloop.store.errors import IdempotencyConflict, PredictionNotFound
from closedloop.store.records import FeedbackIn, FeedbackRecord
from closedloop.store.tables import FeedbackEvent, Prediction, utcnow
from closedloop.store.validation import check_feedback

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

log = logging.getLogger(__name__)


def record_feedback(
    session: Session, *, event: FeedbackIn, kinds: Mapping[str, ModelKind]
) -> tuple[FeedbackRecord, bool]:
    """Store one feedback event and commit; returns `(record, created)`. `kinds` (name -> kind, the
    registered ones) says which feedback fits a prediction of each kind.

    Replaying an `event_id` with the same payload returns the original record with `created=False` and stores
    nothing; replaying it with a different payload raises `IdempotencyConflict`. Raises `PredictionNotFound`
    for an unknown prediction and `InvalidFeedback` for a kind or value that does not fit it.

    Concurrent replays are settled by the UNIQUE constraint on `event_id`, not by the look-up before the
    insert: the loser of the race gets an IntegrityError, rolls back and reads the winner's row.
    """
    records = record_feedback_batch(session, events=[event], kinds=kinds)
    return records[0]


def record_feedback_batch(
    session: Session, *, events: Sequence[FeedbackIn], kinds: Mapping[str, ModelKind]
) -> list[tuple[FeedbackRecord, bool]]:
    """Store many feedback events in one transaction (for throughput); results follow the input order.

    All or nothing: if any event names an unknown prediction, does not fit it, or conflicts with a stored
    event, nothing is stored. An `event_id` repeated within the batch counts as a replay of its first use.
    """
    try:
        return _insert_new(session, events, kinds)
    except IntegrityError:
        session.rollback()  # another writer stored one of these event_ids first: now they are all replays
        return _insert_new(session, events, kinds)


def _insert_new(
    session: Session, events: Sequence[FeedbackIn], kinds: Mapping[str, ModelKind]
) -> list[tuple[FeedbackRecord, bool]]:
    try:
        stored = _stored(session, {event.event_id for event in events})
        first: dict[str, FeedbackIn] = {}
        for event in events:
            original = stored.get(event.event_id) or first.setdefault(event.event_id, event)
            if not event.same_payload(original):
                stored_id = original.id if isinstance(original, FeedbackRecord) else None
                raise IdempotencyConflict(event.event_id, original_id=stored_id)
        _check_new(session, list(first.values()), kinds)
        if first:
            now = utcnow()
            session.execute(insert(FeedbackEvent), [_row(event, now) for event in first.values()])
            stored |= _stored(session, set(first))
            session.commit()
    except BaseException:
        session.rollback()
        raise
    results = []
    for event in events:
        # only the first use of a new event_id within the batch counts as created
        results.append((stored[event.event_id], first.pop(event.event_id, None) is not None))
    log.debug("stored %d of %d feedback events", sum(created for _, created in results), len(events))
    return results


def _check_new(session: Session, events: list[FeedbackIn], kinds: Mapping[str, ModelKind]) -> None:
    """Validate every new event against its prediction before anything is written."""
    ids = {event.prediction_id for event in events}
    if not ids:
        return
    predictions = {row.id: row for row in session.scalars(select(Prediction).where(Prediction.id.in_(ids)))}
    for event in events:
        prediction = predictions.get(event.prediction_id)
        if prediction is None:
            raise PredictionNotFound(event.prediction_id)
        check_feedback(event, model=prediction.model, output=prediction.output, kinds=kinds)


def _stored(session: Session, event_ids: set[str]) -> dict[str, FeedbackRecord]:
    if not event_ids:
        return {}
    rows = session.scalars(select(FeedbackEvent).where(FeedbackEvent.event_id.in_(event_ids)))
    return {row.event_id: FeedbackRecord.model_validate(row) for row in rows}


def _row(event: FeedbackIn, now: datetime) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "prediction_id": event.prediction_id,
        "kind": event.kind,
        "value": event.value,
        "actor": event.actor,
        "received_at": event.received_at or now,
        "api_key_id": event.api_key_id,
        "sender_trust": event.sender_trust,
    }
