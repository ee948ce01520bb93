"""Double annotation to consensus: agreement writes the label, disagreement goes to an adjudicator, and
only consensus labels reach the training snapshot."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session, sessionmaker

from closedloop.labeling import (
    InvalidItemLabel,
    ItemUnavailable,
    NotPermitted,
    QueuePolicy,
    UserRecord,
    adjudicate,
    items_to_adjudicate,
    next_item,
    refill_queue,
    undo_last,
)
from closedloop.store import read_training_labels
from tests.kernel.labeling.handed import label_handed, skip_handed
from tests.kernel.store.factories import RECSYS, SPAM, logged, recsys_prediction, spam_prediction

POLICY = QueuePolicy(batch_size=50, random_share=0.0)


def queued_spam(session: Session, n: int = 1) -> list[int]:
    """`n` queued spam items (ids, in serving order)."""
    logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5 + i / 100) for i in range(n)))
    refill_queue(session, model="spam", policy=POLICY)
    return sorted(range(1, n + 1))


def test_agreement_writes_the_consensus_label_into_the_snapshot(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    [item_id] = queued_spam(session)
    ann, bob = make_user("ann"), make_user("bob")
    assert label_handed(session, item_id=item_id, user=ann, label=1).status == "waiting"
    assert read_training_labels(session, kind=SPAM).frame.empty  # one label is not consensus

    outcome = label_handed(session, item_id=item_id, user=bob, label=1)
    assert outcome.status == "agreed" and outcome.consensus is not None
    label = outcome.consensus
    assert (label.label, label.source, label.agreement) == (1, "annotation", 1.0)
    assert label.subject_key == SPAM.subject_key({"text": "offer 0\n\nclick here"})
    provenance = label.provenance
    assert provenance["item_id"] == item_id and provenance["reason"] == "uncertainty"
    assert [(a["user"], a["label"]) for a in provenance["annotators"]] == [("ann", 1), ("bob", 1)]
    assert "adjudicator" not in provenance

    frame = read_training_labels(session, kind=SPAM).frame
    assert frame[["text", "label", "source"]].values.tolist() == [["offer 0\n\nclick here", 1, "annotation"]]
    with pytest.raises(ItemUnavailable, match="both its labels"):
        label_handed(session, item_id=item_id, user=make_user("carol"), label=0)


def test_disagreement_goes_to_adjudication(session: Session, make_user: Callable[..., UserRecord]) -> None:
    [item_id] = queued_spam(session)
    ann, bob, judge = make_user("ann"), make_user("bob"), make_user("judge", "adjudicator")
    label_handed(session, item_id=item_id, user=ann, label=1)
    assert label_handed(session, item_id=item_id, user=bob, label=0).status == "disputed"
    assert read_training_labels(session, kind=SPAM).frame.empty

    [disputed] = items_to_adjudicate(session, model="spam")
    assert disputed.item.id == item_id and disputed.item.status == "disputed"
    assert [(c.username, c.label) for c in disputed.labels] == [("ann", 1), ("bob", 0)]

    with pytest.raises(NotPermitted, match="only adjudicators"):
        adjudicate(session, item_id=item_id, user=ann, label=1)
    label = adjudicate(session, item_id=item_id, user=judge, label=0)
    assert (label.label, label.source, label.agreement) == (0, "adjudication", 0.5)
    assert label.provenance["adjudicator"]["user"] == "judge"
    assert len(label.provenance["annotators"]) == 2
    assert items_to_adjudicate(session) == []
    assert read_training_labels(session, kind=SPAM).frame["source"].tolist() == ["adjudication"]
    with pytest.raises(ItemUnavailable, match="not awaiting"):
        adjudicate(session, item_id=item_id, user=judge, label=1)


def test_an_adjudicator_does_not_decide_their_own_dispute(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    [item_id] = queued_spam(session)
    boss, bob = make_user("boss", "admin"), make_user("bob")
    label_handed(session, item_id=item_id, user=boss, label=1)
    label_handed(session, item_id=item_id, user=bob, label=0)
    with pytest.raises(NotPermitted, match="another adjudicator"):
        adjudicate(session, item_id=item_id, user=boss, label=1)


def test_relevance_grades_become_binary_consensus(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    logged(session, recsys_prediction(user_id=7, items=(10,)))
    refill_queue(session, model="recsys", policy=POLICY)
    ann, bob = make_user("ann"), make_user("bob")
    item = next_item(session, user=ann, gold_rate=0)
    assert item is not None
    with pytest.raises(InvalidItemLabel, match=r"takes 1 \(not relevant\), .* or 4 \(highly relevant\)"):
        label_handed(session, item_id=item.id, user=ann, label=0)
    label_handed(session, item_id=item.id, user=ann, label=3)
    outcome = label_handed(session, item_id=item.id, user=bob, label=4)  # both "relevant"
    assert outcome.status == "agreed" and outcome.consensus is not None
    assert outcome.consensus.label == 1
    assert [a["label"] for a in outcome.consensus.provenance["annotators"]] == [3, 4]  # raw grades kept
    frame = read_training_labels(session, kind=RECSYS).frame
    assert frame[["user_id", "item_id", "label"]].values.tolist() == [[7, 10, 1]]


def test_undo_withdraws_the_last_answer_until_resolved(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    first, second = queued_spam(session, 2)
    ann, bob = make_user("ann"), make_user("bob")
    assert undo_last(session, user=ann) is None  # nothing to undo yet

    label_handed(session, item_id=second, user=ann, label=0)
    undone = undo_last(session, user=ann)  # alone on the item so far: the slip can be taken back
    assert undone is not None and undone.id == second and undone.status == "open"
    label_handed(session, item_id=second, user=ann, label=1)
    assert label_handed(session, item_id=second, user=bob, label=0).status == "disputed"
    # Once both labels are in, undo answers the same whether they agreed or not: the other label stays blind
    # and a dispute cannot be relabelled into agreement past the adjudicator.
    with pytest.raises(ItemUnavailable, match="final"):
        undo_last(session, user=bob)
    assert [d.item.id for d in items_to_adjudicate(session)] == [second]

    skip_handed(session, item_id=first, user=ann)
    assert next_item(session, user=ann, gold_rate=0) is None  # skipped items are not shown again
    restored = undo_last(session, user=ann)
    assert restored is not None and restored.id == first
    again = next_item(session, user=ann, gold_rate=0)
    assert again is not None and again.id == first


def test_two_annotators_race_for_the_last_slot(
    session: Session, sessions: sessionmaker[Session], make_user: Callable[..., UserRecord]
) -> None:
    [item_id] = queued_spam(session)
    label_handed(session, item_id=item_id, user=make_user("ann"), label=1)
    racers = [make_user(f"racer{i}") for i in range(4)]
    start = threading.Barrier(len(racers))

    def race(user: UserRecord) -> str:
        with sessions() as own:
            start.wait()
            try:
                return label_handed(own, item_id=item_id, user=user, label=1).status
            except ItemUnavailable:
                return "unavailable"

    with ThreadPoolExecutor(max_workers=len(racers)) as pool:
        results = sorted(pool.map(race, racers))
    assert results == ["agreed", "unavailable", "unavailable", "unavailable"]
    frame = read_training_labels(session, kind=SPAM).frame
    assert len(frame) == 1 and frame["source"].tolist() == ["annotation"]


def test_unknown_items_and_bad_labels_are_refused(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    [item_id] = queued_spam(session)
    ann = make_user("ann")
    with pytest.raises(ItemUnavailable, match="no labeling item 999"):
        label_handed(session, item_id=999, user=ann, label=1)
    with pytest.raises(InvalidItemLabel, match="0 \\(ham\\) or 1 \\(spam\\)"):
        label_handed(session, item_id=item_id, user=ann, label=2)
    with pytest.raises(InvalidItemLabel):
        label_handed(session, item_id=item_id, user=ann, label=True)
    assert next_item(session, user=ann, gold_rate=0) is not None  # nothing was recorded
