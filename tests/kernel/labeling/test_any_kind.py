"""The labeling kernel knows no model by name: a registered kind it never heard of (`tone.py`) gets its
queue from its own `queue_items`, its answers from its task, and its consensus labels in its own shape."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from closedloop.labeling import (
    InvalidItemLabel,
    QueuePolicy,
    UserRecord,
    add_gold_items,
    agreement_summary,
    next_item,
    queue_depth,
    refill_queue,
)
from closedloop.settings import get_settings
from closedloop.store import PredictionRecord, read_training_labels, record_feedback
from tests.kernel.labeling.handed import label_handed
from tests.kernel.store.factories import KINDS, feedback, logged
from tests.kernel.store.tone import KIND as TONE
from tests.kernel.store.tone import REFERENCE

POLICY = QueuePolicy(batch_size=10, random_share=0.0)


@pytest.fixture(autouse=True)
def tone_registered(monkeypatch: pytest.MonkeyPatch, cheap_password_hashes: None) -> Iterator[None]:
    monkeypatch.setenv("CLOSEDLOOP_KINDS", json.dumps([REFERENCE]))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def reviews(session: Session) -> list[PredictionRecord]:
    """Three reviews: one the model is unsure of, one it is sure of, one a user contradicts."""
    predictions = [
        PredictionRecord(
            model=TONE.name,
            model_version="1",
            input={"review_id": n, "review": text},
            output={"positive": positive},
        )
        for n, (text, positive) in enumerate([("fine, I guess", 0.52), ("love it", 0.99), ("broke", 0.97)])
    ]
    logged(session, *predictions)
    event = feedback(predictions[2], kind="thumbs_down", actor="carol")
    record_feedback(session, kinds={**KINDS, TONE.name: TONE}, event=event)
    return predictions


def test_a_new_kind_is_queued_labelled_and_settled(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    reviews(session)
    assert refill_queue(session, model=TONE.name, policy=POLICY) == 3
    ann, bob = make_user("ann"), make_user("bob")
    first = next_item(session, user=ann, gold_rate=0)
    assert first is not None and (first.model, first.task, first.reason) == (TONE.name, "tone", "disputed")
    assert first.subject == {"review_id": 2, "review": "broke"} and first.model_label == 1
    with pytest.raises(InvalidItemLabel, match=r"takes 0 \(negative\) or 1 \(positive\), got 4"):
        label_handed(session, item_id=first.id, user=ann, label=4)
    label_handed(session, item_id=first.id, user=ann, label=0)
    outcome = label_handed(session, item_id=first.id, user=bob, label=0)
    assert outcome.status == "agreed" and outcome.consensus is not None
    assert outcome.consensus.subject == {"review_id": 2, "review": "broke"}  # the kind's label_subject
    frame = read_training_labels(session, kind=TONE).frame
    assert frame[["review_id", "label", "source"]].values.tolist() == [[2, 0, "annotation"]]
    assert queue_depth(session, model=TONE.name) == 2
    assert agreement_summary(session).queue_depth == {"spam": 0, "recsys": 0, TONE.name: 2}


def test_gold_items_of_a_new_kind(session: Session) -> None:
    gold = [{"review_id": 9, "review": "superb"}]
    assert add_gold_items(session, model=TONE.name, items=gold, labels=[1]) == 1
    with pytest.raises(InvalidItemLabel, match="negative"):
        add_gold_items(session, model=TONE.name, items=gold, labels=[2])
