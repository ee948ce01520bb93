"""The kernel's writers: group commit of feedback and interactions, and the bounded prediction log."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from closedloop.serving import PredictionLog
from closedloop.store import (
    FeedbackIn,
    IdempotencyConflict,
    InteractionIn,
    InvalidFeedback,
    InvalidInteraction,
    PredictionNotFound,
    PredictionRecord,
    Store,
    get_prediction,
    log_predictions,
    open_store,
    read_interactions,
)
from closedloop.store.writer import FeedbackWriter, InteractionWriter
from tests.kernel.store.factories import KINDS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path}/feedback.db")
    yield store
    store.close()


def spam_prediction(store: Store, *, version: str = "7") -> str:
    record = PredictionRecord(model="spam", model_version=version, input={"text": "t"}, output={})
    with store.session() as session:
        log_predictions(session, rows=[record])
    return record.id


def test_group_commit_batches_and_isolates_bad_events(store: Store):
    pid = spam_prediction(store)
    writer = FeedbackWriter(store, kinds=KINDS, max_wait_s=0.02)
    events = [FeedbackIn(event_id=f"e{i}", prediction_id=pid, kind="report_spam") for i in range(200)]
    bad = {
        50: FeedbackIn(event_id="missing", prediction_id="nope", kind="report_spam"),
        120: FeedbackIn(event_id="wrong", prediction_id=pid, kind="click", value=1),
        150: FeedbackIn(event_id="e3", prediction_id=pid, kind="not_spam"),  # conflicts with e3
    }
    submitted = [writer.submit(bad.get(i, event)) for i, event in enumerate(events)]
    writer.close()
    errors = {i: f.exception() for i, f in enumerate(submitted) if f.exception() is not None}
    assert {i: type(e) for i, e in errors.items()} == {
        50: PredictionNotFound,
        120: InvalidFeedback,
        150: IdempotencyConflict,
    }
    acks = [f.result() for i, f in enumerate(submitted) if i not in errors]
    assert all(a.created and a.model_version == "7" and a.model == "spam" for a in acks)
    assert len({a.record.id for a in acks}) == 197
    assert writer.commits < 50  # grouped: far fewer transactions than events


def test_concurrent_replays_store_one_event(store: Store):
    pid = spam_prediction(store)
    writer = FeedbackWriter(store, kinds=KINDS)
    event = FeedbackIn(event_id="same", prediction_id=pid, kind="not_spam")
    with ThreadPoolExecutor(16) as pool:
        acks = list(pool.map(lambda _: writer.submit(event).result(), range(64)))
    writer.close()
    assert sum(a.created for a in acks) == 1 and len({a.record.id for a in acks}) == 1


def view(event_id: str, **fields: object) -> InteractionIn:
    return InteractionIn.model_validate(
        {"event_id": event_id, "model": "recsys", "user_id": 1, "item_id": 10, "kind": "view"} | fields
    )


def test_interaction_groups_commit_together_and_requests_stay_all_or_nothing(store: Store):
    writer = InteractionWriter(store, max_wait_s=0.02)
    requests = [[view(f"r{r}-{i}", item_id=i) for i in range(5)] for r in range(100)]
    requests[30] = [view("fine"), view("no-stars", kind="rating")]  # a rating without stars fails both
    requests[60] = [view("r1-0", item_id=99)]  # conflicts with request 1's first event
    requests[80] = [view("r2-0", item_id=0), view("r80-new")]  # a replay and a new event
    submitted = [writer.submit(request) for request in requests]
    writer.close()
    errors = {i: type(f.exception()) for i, f in enumerate(submitted) if f.exception() is not None}
    assert errors == {30: InvalidInteraction, 60: IdempotencyConflict}
    assert [created for _, created in submitted[80].result()] == [False, True]
    assert all(created for i in range(100) if i not in (30, 60, 80) for _, created in submitted[i].result())
    assert writer.commits < 30  # grouped: far fewer transactions than requests
    with store.session() as session:
        stored = read_interactions(session, model="recsys").frame
    assert len(stored) == 97 * 5 + 1  # request 80 adds one event; 30 (not even its valid event) and 60 none


def test_concurrent_interaction_replays_store_one_event(store: Store):
    writer = InteractionWriter(store)
    event = view("same", kind="rating", value=3)
    with ThreadPoolExecutor(16) as pool:
        stored = list(pool.map(lambda _: writer.submit([event]).result()[0], range(64)))
    writer.close()
    assert sum(created for _, created in stored) == 1 and len({record.id for record, _ in stored}) == 1


def test_prediction_log_counts_drops_and_logs_the_rest(store: Store):
    log = PredictionLog(store, maxsize=2, batch_size=1)
    records = [PredictionRecord(model="spam", model_version="1", input={}, output={}) for _ in range(300)]
    accepted = [log.submit(r) for r in records]
    log.close()
    assert log.dropped["queue_full"] == accepted.count(False) > 0
    assert log.logged == accepted.count(True)
    with store.session() as session:
        kept = next(r for r, ok in zip(records, accepted, strict=True) if ok)
        assert get_prediction(session, prediction_id=kept.id).model_version == "1"


def test_pending_predictions_can_be_waited_for(store: Store):
    log = PredictionLog(store, maxsize=100)
    record = PredictionRecord(model="spam", model_version="1", input={}, output={})
    log.submit(record)
    assert log.wait_logged(record.id, timeout=5) and not log.pending(record.id)
    with store.session() as session:
        assert get_prediction(session, prediction_id=record.id).id == record.id
    log.close()
