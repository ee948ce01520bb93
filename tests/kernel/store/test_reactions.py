"""Reactions to recommendations: every feedback event on a list, read as a positive or negative answer about
one of its items — not only each list's latest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from closedloop.store import REACTION_COLUMNS, Reaction, reaction, read_reactions, record_feedback
from tests.kernel.store.factories import feedback, logged, recsys_prediction, spam_prediction


def test_clicks_and_three_stars_up_are_positive_low_stars_and_dismissals_negative() -> None:
    assert reaction(kind="click", value=10) == Reaction(10, positive=True)
    assert reaction(kind="rating", value={"item_id": 20, "rating": 3}) == Reaction(20, positive=True)
    assert reaction(kind="rating", value={"item_id": 20, "rating": 2}) == Reaction(20, positive=False)
    assert reaction(kind="dismiss", value=30) == Reaction(30, positive=False)
    assert reaction(kind="report_spam", value=None) is None


def test_every_reaction_on_a_list_is_read_since_the_lists_time(session: Session) -> None:
    now = datetime.now(UTC)
    old, new = logged(
        session,
        recsys_prediction(created_at=now - timedelta(days=2)),
        recsys_prediction(items=(10, 20, 30), created_at=now),
    )
    [spam] = logged(session, spam_prediction(created_at=now))
    record_feedback(session, event=feedback(old))
    record_feedback(session, event=feedback(spam))
    for kind, value in [
        ("rating", {"item_id": 20, "rating": 5}),
        ("rating", {"item_id": 10, "rating": 1}),
        ("click", 30),
        ("dismiss", 10),
    ]:
        record_feedback(session, event=feedback(new, kind=kind, value=value))  # type: ignore[arg-type]

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
