"""Interactions: idempotent on event_id, all or nothing per batch, never from the future, read back in id
order at a reproducible watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from closedloop.store import (
    IdempotencyConflict,
    InvalidInteraction,
    count_interactions_since,
    latest_interaction_id,
    read_interactions,
    record_interactions,
    user_history,
)
from closedloop.store.tables import Interaction
from tests.kernel.store.factories import count_rows, interaction


def test_replay_returns_the_original_and_stores_nothing(session: Session) -> None:
    event = interaction(kind="rating", value=5, prediction_id="p-1")
    [(first, created)] = record_interactions(session, events=[event])
    [(again, created_again)] = record_interactions(session, events=[event])
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.value == 5.0 and first.prediction_id == "p-1" and first.model == "recsys"
    assert first.occurred_at == first.received_at and first.received_at.tzinfo is not None
    assert count_rows(session, Interaction) == 1


def test_event_time_is_kept_and_a_retry_without_it_is_a_replay(session: Session) -> None:
    when = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    [(first, _)] = record_interactions(session, events=[interaction(event_id="t", occurred_at=when)])
    assert first.occurred_at == when and first.occurred_at.tzinfo == UTC
    [(again, created)] = record_interactions(session, events=[interaction(event_id="t")])
    assert not created and again.occurred_at == when


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "click"},
        {"item_id": 11},
        {"user_id": 8},
        {"actor": "bob"},
        {"prediction_id": "p-9"},
        {"occurred_at": datetime(2024, 5, 1, tzinfo=UTC)},
    ],
)
def test_conflicting_replay_is_refused(session: Session, change: dict[str, object]) -> None:
    [(first, _)] = record_interactions(session, events=[interaction(event_id="ev-1")])
    with pytest.raises(IdempotencyConflict, match="ev-1") as raised:
        record_interactions(session, events=[interaction(event_id="ev-1", **change)])
    assert raised.value.original_id == first.id
    assert count_rows(session, Interaction) == 1


def test_a_batch_is_all_or_nothing(session: Session) -> None:
    [(stored, _)] = record_interactions(session, events=[interaction(event_id="old")])
    good = [interaction(item_id=item) for item in (1, 2, 3)]
    with pytest.raises(InvalidInteraction):
        record_interactions(session, events=[*good, interaction(kind="rating", value=None)])
    with pytest.raises(IdempotencyConflict):
        record_interactions(session, events=[*good, interaction(event_id="old", kind="dismiss")])
    assert count_rows(session, Interaction) == 1
    results = record_interactions(session, events=[*good, interaction(event_id="old")])
    assert [created for _, created in results] == [True, True, True, False]
    assert results[3][0] == stored
    assert [record.id for record, _ in results[:3]] == sorted(record.id for record, _ in results[:3])


def test_an_event_id_repeated_in_a_batch_is_a_replay_of_its_first_use(session: Session) -> None:
    event = interaction(event_id="twice", kind="click")
    results = record_interactions(session, events=[event, event])
    assert [created for _, created in results] == [True, False]
    assert results[0][0] == results[1][0]
    with pytest.raises(IdempotencyConflict, match="earlier in the same batch") as raised:
        record_interactions(
            session, events=[interaction(event_id="new"), interaction(event_id="new", item_id=3)]
        )
    assert raised.value.original_id is None
    assert count_rows(session, Interaction) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "rating", "value": None}, "a rating needs a value from 1 to 5"),
        ({"kind": "rating", "value": 0.5}, "a rating needs a value from 1 to 5"),
        ({"kind": "rating", "value": 6}, "a rating needs a value from 1 to 5"),
        ({"kind": "view", "value": 3}, "a view takes no value"),
        ({"kind": "dismiss", "value": 1}, "a dismiss takes no value"),
        # A day ahead, not minutes: the parameters are built at collection, long before a full run gets here.
        ({"occurred_at": datetime.now(UTC) + timedelta(days=1)}, "event time is in the future"),
        ({"occurred_at": datetime(1969, 12, 31, tzinfo=UTC)}, "before 1970"),
    ],
)
def test_invalid_interactions_are_refused(session: Session, fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInteraction, match=message):
        record_interactions(session, events=[interaction(**fields)])
    assert count_rows(session, Interaction) == 0


def test_small_clock_skew_and_half_stars_are_accepted(session: Session) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    results = record_interactions(
        session, events=[interaction(occurred_at=soon), interaction(kind="rating", value=3.5)]
    )
    assert [record.value for record, _ in results] == [None, 3.5]


def test_malformed_input_fails_at_construction() -> None:
    for fields in ({"user_id": -1}, {"item_id": 2**63}, {"kind": "like"}, {"value": float("nan")}):
        with pytest.raises(ValidationError):
            interaction(**fields)
    with pytest.raises(ValidationError, match="timezone"):
        interaction(occurred_at=datetime(2024, 1, 1))  # naive: which zone would it be in?


def test_user_history_is_the_users_own_oldest_first(session: Session) -> None:
    record_interactions(
        session,
        events=[
            interaction(user_id=1, item_id=30, kind="view"),
            interaction(user_id=2, item_id=99, kind="view"),
            interaction(user_id=1, item_id=10, kind="rating", value=2),
            interaction(user_id=1, item_id=99, kind="click", model="other"),
        ],
    )
    record_interactions(session, events=[interaction(user_id=1, item_id=20, kind="dismiss")])
    assert user_history(session, model="recsys", user_id=1) == [
        (30, "view", None),
        (10, "rating", 2.0),
        (20, "dismiss", None),
    ]
    assert user_history(session, model="recsys", user_id=3) == []


def test_a_snapshot_read_at_its_watermark_is_reproducible(session: Session) -> None:
    early, late = datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    record_interactions(
        session,
        events=[
            interaction(user_id=1, occurred_at=early, prediction_id="p"),
            interaction(user_id=2, kind="rating", value=4, occurred_at=late),
            interaction(model="other"),
        ],
    )
    snapshot = read_interactions(session, model="recsys")
    assert snapshot.watermark["count"] == 2
    assert snapshot.watermark["last_occurred_at"] == early.isoformat()  # the newest event time read
    frame = snapshot.frame
    assert list(frame.columns) == [
        "interaction_id",
        "user_id",
        "item_id",
        "kind",
        "value",
        "occurred_at",
        "prediction_id",
    ]
    assert frame["interaction_id"].is_monotonic_increasing
    assert {frame[c].dtype.name for c in ("interaction_id", "user_id", "item_id")} == {"int64"}
    assert str(frame["occurred_at"].dt.tz) == "UTC"
    assert frame["value"].isna().tolist() == [True, False]
    assert frame["prediction_id"].tolist() == ["p", None]

    record_interactions(session, events=[interaction(user_id=3)])
    again = read_interactions(session, model="recsys", upto_id=snapshot.watermark["last_id"])
    pd.testing.assert_frame_equal(again.frame, frame)
    assert again.watermark == snapshot.watermark
    newer = read_interactions(session, model="recsys", after_id=snapshot.watermark["last_id"])
    assert newer.frame["user_id"].tolist() == [3]


def test_empty_snapshot_and_counts(session: Session) -> None:
    empty = read_interactions(session, model="recsys")
    assert empty.watermark == {"last_id": None, "last_occurred_at": None, "count": 0}
    assert empty.frame.empty and str(empty.frame["occurred_at"].dt.tz) == "UTC"
    assert latest_interaction_id(session, model="recsys") is None
    assert count_interactions_since(session, model="recsys", after_id=None) == 0
    results = record_interactions(session, events=[interaction(item_id=i) for i in range(5)])
    record_interactions(session, events=[interaction(model="other")])
    ids = [record.id for record, _ in results]
    assert latest_interaction_id(session, model="recsys") == ids[-1]
    assert count_interactions_since(session, model="recsys", after_id=None) == 5
    assert count_interactions_since(session, model="recsys", after_id=ids[1]) == 3
