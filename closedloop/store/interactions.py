"""The interaction log: every view, rating, click and dismissal, idempotent on the client's `event_id`.

Unlike feedback, an interaction need not follow a recommendation (`prediction_id` is optional attribution),
so it is checked against its own rules, not against a prediction. Writes follow `record_feedback_batch`: one
transaction, all or nothing, a replay answers the original, a changed payload is an `IdempotencyConflict`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, TypedDict

import pandas as pd
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closedloop.store.errors import IdempotencyConflict, InvalidInteraction
from closedloop.store.tables import Interaction, utcnow

log = logging.getLogger(__name__)

InteractionKind = Literal["view", "rating", "click", "dismiss"]
RATING_MIN, RATING_MAX = 1.0, 5.0
# Client clocks drift; beyond this an event time is in the future, and no decision may read the future.
CLOCK_SKEW = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # older times are mistakes (and do not fit pandas' timestamps)
MAX_ID = 2**63 - 1  # BIGINT
_LOOKUP_CHUNK = 1_000  # event ids per IN (...) look-up: far below SQLite's and PostgreSQL's parameter caps
_PG_WRITER_LOCK = 0x696E746572616374  # "interact"


def utc_event_time(value: datetime) -> datetime:
    """`value` in UTC; a ValueError (not an OverflowError) for a time that does not exist in UTC."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


EventTime = Annotated[AwareDatetime, AfterValidator(utc_event_time)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True, extra="forbid")


class InteractionIn(_Record):
    """A user's interaction with an item. `event_id` is the client's idempotency key (retry with the same);
    `occurred_at` is the event time (None: when the store receives it)."""

    event_id: str = Field(min_length=1, max_length=128)
    model: str = Field(min_length=1, max_length=32)
    user_id: int = Field(ge=0, le=MAX_ID)
    item_id: int = Field(ge=0, le=MAX_ID)
    kind: InteractionKind
    value: float | None = Field(default=None, allow_inf_nan=False)  # the stars of a rating, else None
    occurred_at: EventTime | None = None
    prediction_id: str | None = Field(default=None, min_length=1, max_length=64)
    actor: str = Field(default="anonymous", min_length=1, max_length=128)

    def same_payload(self, other: InteractionIn | InteractionRecord) -> bool:
        """Whether `other` carries this payload. `received_at` is ignored (a retry arrives later), and so is
        `occurred_at` when this event leaves it to the store (a retry then gets the original time)."""
        if self.occurred_at is not None and self.occurred_at != other.occurred_at:
            return False
        return _payload(self) == _payload(other)


class InteractionRecord(_Record):
    id: int  # the store's watermark: strictly increasing in commit order
    event_id: str
    model: str
    user_id: int
    item_id: int
    kind: InteractionKind
    value: float | None
    occurred_at: datetime
    received_at: datetime
    prediction_id: str | None
    actor: str


def _payload(event: InteractionIn | InteractionRecord) -> tuple[object, ...]:
    return (
        event.model,
        event.user_id,
        event.item_id,
        event.kind,
        event.value,
        event.prediction_id,
        event.actor,
    )


def check_interaction(event: InteractionIn, *, now: datetime | None = None) -> None:
    """Raise `InvalidInteraction` unless `event` can be stored at time `now` (default: now).

    A rating needs 1..5 stars as its value and no other kind takes a value; the event time must lie between
    1970 and `now` plus a few minutes of clock skew, since a snapshot must never contain the future.
    """
    if event.kind == "rating":
        if event.value is None or not RATING_MIN <= event.value <= RATING_MAX:
            raise InvalidInteraction(f"a rating needs a value from 1 to 5 (stars), got {event.value!r}")
    elif event.value is not None:
        raise InvalidInteraction(f"a {event.kind} takes no value (only a rating does), got {event.value!r}")
    if event.occurred_at is not None:
        at = now or utcnow()
        if event.occurred_at > at + CLOCK_SKEW:
            raise InvalidInteraction(
                f"event time is in the future ({event.occurred_at.isoformat()}, now {at.isoformat()}); "
                "send the time the interaction happened, with its UTC offset"
            )
        if event.occurred_at < EPOCH:
            raise InvalidInteraction(f"event time {event.occurred_at.isoformat()} is before 1970")


def record_interactions(
    session: Session, *, events: Sequence[InteractionIn]
) -> list[tuple[InteractionRecord, bool]]:
    """Store interactions in one transaction and commit; returns `(record, created)` in the input order.

    All or nothing: an invalid event (`InvalidInteraction`) or an `event_id` stored with a different payload
    (`IdempotencyConflict`) stores nothing. A replay with the same payload returns the original with
    `created=False`; an `event_id` repeated within the batch counts as a replay of its first use. Concurrent
    replays are settled by the UNIQUE constraint on `event_id`: the loser rolls back and reads the winner's.
    """
    try:
        return _insert_new(session, events)
    except IntegrityError:
        session.rollback()  # another writer stored one of these event_ids first: now they are all replays
        return _insert_new(session, events)


def _insert_new(session: Session, events: Sequence[InteractionIn]) -> list[tuple[InteractionRecord, bool]]:
    try:
        stored = _stored(session, {event.event_id for event in events})
        first: dict[str, InteractionIn] = {}
        for event in events:
            original = stored.get(event.event_id) or first.setdefault(event.event_id, event)
            if not event.same_payload(original):
                stored_id = original.id if isinstance(original, InteractionRecord) else None
                raise IdempotencyConflict(event.event_id, original_id=stored_id, what="interaction")
        now = utcnow()
        for event in first.values():
            check_interaction(event, now=now)
        if first:
            _serialise_writers(session)
            session.execute(insert(Interaction), [_row(event, now) for event in first.values()])
            stored |= _stored(session, set(first))
            session.commit()
    except BaseException:
        session.rollback()
        raise
    # only the first use of a new event_id within the batch counts as created
    results = [(stored[event.event_id], first.pop(event.event_id, None) is not None) for event in events]
    log.debug("stored %d of %d interactions", sum(created for _, created in results), len(events))
    return results


def _serialise_writers(session: Session) -> None:
    """One interaction-writing transaction at a time, so ids become visible in id order and a snapshot read
    at a watermark stays reproducible. SQLite's writer lock does this already; PostgreSQL hands out ids from
    its sequence before commit, so without the lock a lower id could commit after a higher one was read."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITER_LOCK})


def _stored(session: Session, event_ids: set[str]) -> dict[str, InteractionRecord]:
    ids, found = sorted(event_ids), {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        rows = session.execute(select(*Interaction.__table__.columns).where(Interaction.event_id.in_(chunk)))
        found.update({row.event_id: InteractionRecord.model_validate(row._asdict()) for row in rows})
    return found


def _row(event: InteractionIn, now: datetime) -> dict[str, object]:
    return event.model_dump() | {"occurred_at": event.occurred_at or now, "received_at": now}


def user_history(session: Session, *, model: str, user_id: int) -> list[tuple[int, str, float | None]]:
    """`(item_id, kind, value)` of every interaction of `user_id` with `model`, oldest first.

    Read on the recommendation request path: one query on the (model, user_id, id) index that selects three
    columns, with no ORM object (nor datetime conversion) per row.
    """
    query = (
        select(Interaction.item_id, Interaction.kind, Interaction.value)
        .where(Interaction.model == model, Interaction.user_id == user_id)
        .order_by(Interaction.id)
    )
    return [(item_id, kind, value) for item_id, kind, value in session.execute(query)]


class InteractionWatermark(TypedDict):
    last_id: int | None  # pass it back as `upto_id` to read the same rows again
    last_occurred_at: str | None  # ISO 8601, UTC: the newest event time read
    count: int


@dataclass(frozen=True)
class InteractionSnapshot:
    model: str
    frame: pd.DataFrame  # one row per interaction, ordered by interaction_id; columns: SNAPSHOT_COLUMNS
    watermark: InteractionWatermark


SNAPSHOT_COLUMNS = ["interaction_id", "user_id", "item_id", "kind", "value", "occurred_at", "prediction_id"]
SNAPSHOT_DTYPES = {"interaction_id": "int64", "user_id": "int64", "item_id": "int64", "value": "float64"}


def read_interactions(
    session: Session, *, model: str, upto_id: int | None = None, after_id: int | None = None
) -> InteractionSnapshot:
    """The interactions of `model` with `after_id < id <= upto_id` (open ends where None), oldest first.

    Interaction writers are serialised, so no id can later appear below a watermark already read: reading
    again with `upto_id=snapshot.watermark["last_id"]` returns the same rows even after new ones arrive.
    """
    query = select(
        Interaction.id,
        Interaction.user_id,
        Interaction.item_id,
        Interaction.kind,
        Interaction.value,
        Interaction.occurred_at,
        Interaction.prediction_id,
    ).where(Interaction.model == model)
    if upto_id is not None:
        query = query.where(Interaction.id <= upto_id)
    if after_id is not None:
        query = query.where(Interaction.id > after_id)
    rows = [tuple(row) for row in session.execute(query.order_by(Interaction.id))]
    frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
    frame = frame.astype(SNAPSHOT_DTYPES)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    watermark = InteractionWatermark(
        last_id=int(frame["interaction_id"].iloc[-1]) if rows else None,
        last_occurred_at=frame["occurred_at"].max().isoformat() if rows else None,
        count=len(rows),
    )
    return InteractionSnapshot(model=model, frame=frame, watermark=watermark)


def count_interactions_since(session: Session, *, model: str, after_id: int | None) -> int:
    """Interactions of `model` stored after id `after_id` (all of them when None): how much new data waits."""
    query = select(func.count()).select_from(Interaction).where(Interaction.model == model)
    if after_id is not None:
        query = query.where(Interaction.id > after_id)
    return int(session.scalar(query) or 0)


def latest_interaction_id(session: Session, *, model: str) -> int | None:
    """The newest interaction id of `model` (a watermark), or None when it has none."""
    return session.scalar(select(func.max(Interaction.id)).where(Interaction.model == model))
