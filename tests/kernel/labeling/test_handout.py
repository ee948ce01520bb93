"""Issue 13: annotators label only what the queue handed them, and the queue is topped up to a cap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from closedloop.labeling import (
    NotHandedOut,
    QueuePolicy,
    UserRecord,
    next_item,
    queue_depth,
    refill_queue,
    skip_item,
    submit_label,
    top_up_queue,
)
from closedloop.settings import Settings
from closedloop.store import read_training_labels
from tests.kernel.store.factories import SPAM, logged, spam_prediction


def queued(session: Session, n: int) -> None:
    logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5 + i / 100) for i in range(n)))
    refill_queue(session, model="spam", policy=QueuePolicy(batch_size=50, random_share=0.0))


def test_two_accounts_cannot_settle_an_item_they_chose(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    queued(session, 3)
    ann, bob = make_user("ann"), make_user("bob")
    served = next_item(session, user=ann, gold_rate=0)
    assert served is not None
    chosen = next(i for i in (1, 2, 3) if i != served.id)  # an item the queue did not hand to ann
    for user in (ann, bob):
        with pytest.raises(NotHandedOut, match=f"item {chosen} was not handed to {user.username}"):
            submit_label(session, item_id=chosen, user=user, label=1)
        with pytest.raises(NotHandedOut):
            skip_item(session, item_id=chosen, user=user)
    assert read_training_labels(session, kind=SPAM).frame.empty
    assert submit_label(session, item_id=served.id, user=ann, label=1).status == "waiting"


def test_an_item_handed_out_stays_answerable_after_reloads(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    queued(session, 1)
    ann = make_user("ann")
    first, again = next_item(session, user=ann, gold_rate=0), next_item(session, user=ann, gold_rate=0)
    assert first is not None and again is not None and first.id == again.id  # one assignment, no error
    assert submit_label(session, item_id=first.id, user=ann, label=0).status == "waiting"


def test_refills_never_go_above_the_cap(session: Session) -> None:
    logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5 + i / 100) for i in range(10)))
    policy = QueuePolicy(batch_size=50, random_share=0.0)
    assert refill_queue(session, model="spam", policy=policy, cap=4) == 4
    assert refill_queue(session, model="spam", policy=policy, cap=4) == 0  # full: nothing on later calls
    assert queue_depth(session, model="spam") == 4


def test_the_top_up_waits_until_half_the_cap_is_gone(session: Session, tmp_path: Path) -> None:
    logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5 + i / 100) for i in range(10)))
    settings = Settings(
        home=tmp_path / "home", labeling_batch_size=50, labeling_random_share=0.0, labeling_queue_cap=6
    )
    assert top_up_queue(session, model="spam", settings=settings) == 6
    for _ in range(5):
        assert top_up_queue(session, model="spam", settings=settings) == 0  # not refilled on every call
    assert queue_depth(session, model="spam") == 6
