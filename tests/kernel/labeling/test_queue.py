"""The queue: refilled from logged predictions in policy order, served blind, never the same item twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from closedloop.labeling import (
    AlreadyLabelled,
    ItemRecord,
    QueuePolicy,
    UserRecord,
    add_gold_items,
    next_item,
    queue_depth,
    refill_queue,
    top_up_queue,
)
from closedloop.settings import Settings
from closedloop.store import record_feedback, upsert_consensus_label
from tests.kernel.labeling.handed import label_handed, skip_handed
from tests.kernel.store.factories import KINDS, SPAM, feedback, logged, recsys_prediction, spam_prediction

NO_RANDOM = QueuePolicy(batch_size=50, random_share=0.0)


def constructed_spam(session: Session) -> dict[str, str]:
    """Logged spam predictions, one per reason the queue knows; returns subject line -> prediction id."""
    predictions = {
        "sure": spam_prediction(subject="sure", score=0.02),
        "near": spam_prediction(subject="near", score=0.48),
        "nearest": spam_prediction(subject="nearest", score=0.51),
        "split": spam_prediction(
            subject="split",
            score=0.9,
            shadow_version="4",
            shadow_output={"spam_probability": 0.2, "is_spam": False, "threshold": 0.5},
        ),
        "reported": spam_prediction(subject="reported", score=0.95),  # flagged spam, user says not spam
        "fed": spam_prediction(subject="fed", score=0.03),  # let through, user reports spam
        "labelled": spam_prediction(subject="labelled", score=0.5),  # humans already labelled it
    }
    logged(session, *predictions.values())
    record_feedback(
        session, kinds=KINDS, event=feedback(predictions["reported"], kind="not_spam", actor="alice")
    )
    record_feedback(session, kinds=KINDS, event=feedback(predictions["fed"], kind="report_spam", actor="bob"))
    labelled = predictions["labelled"].input
    upsert_consensus_label(
        session,
        kind=SPAM,
        subject={"text": labelled["text"], "subject": "labelled", "body": labelled["body"]},
        label=1,
        source="annotation",
    )
    return {name: p.id for name, p in predictions.items()}


def test_refill_orders_by_policy_on_constructed_predictions(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    ids = constructed_spam(session)
    assert refill_queue(session, model="spam", policy=NO_RANDOM) == 6
    assert refill_queue(session, model="spam", policy=NO_RANDOM) == 0  # queued subjects are not re-added
    assert queue_depth(session, model="spam") == 6 and queue_depth(session, model="recsys") == 0

    ann = make_user("ann")
    served: list[ItemRecord] = []
    while (item := next_item(session, user=ann, model="spam", gold_rate=0)) is not None:
        served.append(item)
        skip_handed(session, item_id=item.id, user=ann)
    assert [i.subject["subject"] for i in served] == ["fed", "reported", "split", "nearest", "near", "sure"]
    assert [i.reason for i in served] == ["disputed", "disputed", "disagreement"] + ["uncertainty"] * 3
    assert [i.prediction_id for i in served[:2]] == [ids["fed"], ids["reported"]]
    first = served[0]
    assert first.subject == {"subject": "fed", "sender": "deals.example.biz", "body": "click here"}
    assert (first.model_score, first.model_label, first.status) == (0.03, 0, "open")


def test_no_annotator_gets_an_item_twice_and_each_item_gets_two(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    logged(session, *(spam_prediction(subject=f"m{i}", score=0.4 + i / 100) for i in range(3)))
    refill_queue(session, model="spam", policy=NO_RANDOM)
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")

    seen: dict[str, list[int]] = {"ann": [], "bob": [], "carol": []}
    for user in (ann, bob, carol, ann, bob, carol, ann, bob, carol):
        item = next_item(session, user=user, gold_rate=0)
        if item is None:
            continue
        seen[user.username].append(item.id)
        label_handed(session, item_id=item.id, user=user, label=1)
    assert all(len(ids) == len(set(ids)) for ids in seen.values())
    assert sum(len(ids) for ids in seen.values()) == 6  # 3 items x 2 annotators, no more
    assert queue_depth(session) == 0
    with pytest.raises(AlreadyLabelled, match="undo"):
        label_handed(session, item_id=seen["ann"][0], user=ann, label=0)


def test_items_are_blind(session: Session, make_user: Callable[..., UserRecord]) -> None:
    logged(session, spam_prediction(subject="one", score=0.5))
    refill_queue(session, model="spam", policy=NO_RANDOM)
    ann, bob = make_user("ann"), make_user("bob")
    item = next_item(session, user=ann, gold_rate=0)
    assert item is not None
    label_handed(session, item_id=item.id, user=ann, label=1)
    shown = next_item(session, user=bob, gold_rate=0)
    assert shown is not None and shown.id == item.id
    dumped = shown.model_dump()
    assert set(dumped) == set(ItemRecord.model_fields)  # no labels, no annotators, no gold answer
    assert "ann" not in repr(dumped) and "text" not in shown.subject


def test_gold_items_mix_in_at_the_rate_and_are_shown_to_everyone(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    logged(session, *(spam_prediction(subject=f"m{i}", score=0.5) for i in range(4)))
    refill_queue(session, model="spam", policy=NO_RANDOM)
    gold = [{"subject": "Known spam", "body": "buy now"}, {"subject": "Known ham", "body": "see you"}]
    assert add_gold_items(session, model="spam", items=gold, labels=[1, 0]) == 2
    assert add_gold_items(session, model="spam", items=gold, labels=[1, 0]) == 0
    assert queue_depth(session, model="spam") == 4  # gold items are not work waiting to be done

    for name in ("ann", "bob", "carol"):
        user = make_user(name)
        reasons = []
        while (item := next_item(session, user=user, gold_rate=0.5)) is not None:
            reasons.append(item.reason)
            assert label_handed(session, item_id=item.id, user=user, label=1).status in ("waiting", "agreed")
        assert reasons.count("gold") == 2  # every annotator answers every gold item
        if name == "ann":
            assert reasons[:4] == ["uncertainty", "gold", "uncertainty", "gold"]


def test_recsys_items_come_from_disputes_and_random_draws(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    [prediction] = logged(session, recsys_prediction(user_id=7, items=(10, 20, 30)))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="dismiss", value=20))

    def describe(user_id: int, item_id: int) -> dict:
        return {"title": f"Movie {item_id}", "history": [{"item_id": 1, "title": "Movie 1", "rating": 5}]}

    policy = QueuePolicy(batch_size=2, random_share=0.5, seed=0)
    assert refill_queue(session, model="recsys", policy=policy, describe=describe) == 2
    item = next_item(session, user=make_user("ann"), gold_rate=0)
    assert item is not None and item.task == "relevance" and item.reason == "disputed"
    assert item.subject["item_id"] == 20 and item.subject["title"] == "Movie 20"
    assert item.subject["history"][0]["rating"] == 5


def test_the_watchers_top_up_refills_only_a_short_queue(session: Session, tmp_path: Path) -> None:
    constructed_spam(session)  # six unlabelled predictions worth asking about
    settings = Settings(
        home=tmp_path / "home", labeling_batch_size=4, labeling_random_share=0.0, labeling_queue_cap=5
    )
    assert top_up_queue(session, model="spam", settings=settings) == 4  # empty queue: one batch
    assert queue_depth(session, model="spam") == 4
    assert top_up_queue(session, model="spam", settings=settings) == 0  # ≥ half the cap waits: nothing
    assert queue_depth(session, model="spam") == 4
