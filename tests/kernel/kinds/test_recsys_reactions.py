"""Reactions to recommendations: every feedback event on a list, and every interaction that names it, read as
a positive or negative answer about one of its items — not only each list's latest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from closedloop.kinds.recsys.reactions import REACTION_COLUMNS, Reaction, reaction, read_reactions
from closedloop.store import record_feedback, record_interactions
from models.recsys.signals import is_positive
from tests.kernel.store.factories import (
    KINDS,
    feedback,
    interaction,
    logged,
    recsys_prediction,
    spam_prediction,
)


def test_clicks_and_three_stars_up_are_positive_low_stars_and_dismissals_negative() -> None:
    assert reaction(kind="click", value=10) == Reaction(10, positive=True)
    assert reaction(kind="rating", value={"item_id": 20, "rating": 3}) == Reaction(20, positive=True)
    assert reaction(kind="rating", value={"item_id": 20, "rating": 2}) == Reaction(20, positive=False)
    assert reaction(kind="dismiss", value=30) == Reaction(30, positive=False)
    assert reaction(kind="report_spam", value=None) is None


def test_feedback_and_interactions_follow_the_recommenders_one_rule() -> None:
    for kind, stars, value in [
        ("click", None, 10),
        ("dismiss", None, 10),
        *[("rating", s, {"item_id": 10, "rating": s}) for s in range(1, 6)],
    ]:
        found = reaction(kind=kind, value=value)
        assert found is not None and found.positive == is_positive(kind, stars), (kind, stars)


def test_every_reaction_on_a_list_is_read_since_the_lists_time(session: Session) -> None:
    now = datetime.now(UTC)
    old, new = logged(
        session,
        recsys_prediction(created_at=now - timedelta(days=2)),
        recsys_prediction(items=(10, 20, 30), created_at=now),
    )
    [spam] = logged(session, spam_prediction(created_at=now))
    record_feedback(session, kinds=KINDS, event=feedback(old))
    record_feedback(session, kinds=KINDS, event=feedback(spam))
    for kind, value in [
        ("rating", {"item_id": 20, "rating": 5}),
        ("rating", {"item_id": 10, "rating": 1}),
        ("click", 30),
        ("dismiss", 10),
    ]:
        record_feedback(session, kinds=KINDS, event=feedback(new, kind=kind, value=value))  # type: ignore[arg-type]

    frame = read_reactions(session, since=now - timedelta(hours=1))
    assert list(frame.columns) == REACTION_COLUMNS
    assert frame.to_dict("list") == {
        "prediction_id": [new.id] * 4,
        "item_id": [20, 10, 30, 10],
        "positive": [True, False, True, False],
        "kind": ["rating", "rating", "click", "dismiss"],
    }
    assert len(read_reactions(session)) == 5  # the older list's click too; never the spam report
    assert read_reactions(session, since=now + timedelta(hours=1)).empty


def test_interactions_that_name_a_list_are_reactions_beside_its_feedback(session: Session) -> None:
    now = datetime.now(UTC)
    old, new, quiet = logged(
        session,
        recsys_prediction(created_at=now - timedelta(days=2)),
        recsys_prediction(items=(10, 20, 30), created_at=now),
        recsys_prediction(items=(40, 50), created_at=now),
    )
    [spam] = logged(session, spam_prediction(created_at=now))
    record_feedback(session, kinds=KINDS, event=feedback(new, kind="click", value=30))
    record_interactions(
        session,
        events=[
            interaction(item_id=20, kind="rating", value=4.0, prediction_id=new.id),
            interaction(item_id=10, kind="rating", value=2.0, prediction_id=new.id),
            interaction(item_id=30, kind="dismiss", prediction_id=new.id),
            interaction(item_id=10, kind="view", prediction_id=old.id),
            interaction(item_id=40, kind="rating", value=1.0, prediction_id=quiet.id),
            interaction(item_id=50, kind="click"),  # no prediction named: training data, not a reaction
            interaction(item_id=60, kind="click", prediction_id="never-logged"),
            interaction(item_id=70, kind="click", prediction_id=spam.id),
        ],
    )

    frame = read_reactions(session, since=now - timedelta(hours=1))
    assert list(frame.columns) == REACTION_COLUMNS
    assert frame.to_dict("list") == {
        "prediction_id": [new.id, new.id, new.id, new.id, quiet.id],
        "item_id": [30, 20, 10, 30, 40],
        "positive": [True, True, False, False, False],
        "kind": ["click", "rating", "rating", "dismiss", "rating"],
    }
    assert frame.dtypes.to_dict() == read_reactions(session, since=now + timedelta(hours=1)).dtypes.to_dict()
    everything = read_reactions(session)  # the older list's view too, a positive answer
    assert len(everything) == 6
    assert everything[everything["prediction_id"] == old.id].to_dict("records") == [
        {"prediction_id": old.id, "item_id": 10, "positive": True, "kind": "view"}
    ]
