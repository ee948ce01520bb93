"""Issue 13: the demo's simulated annotators leave people a window. A share of the queue (and every dispute)
waits `people_seconds` for a person before they answer it, and they top the queue up to a cap instead of
refilling it on every pass; with no window (the benchmark) they answer everything, as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from closedloop.kinds import kind
from closedloop.labeling import (
    QueuePolicy,
    create_user,
    items_to_adjudicate,
    next_item,
    queue_depth,
    submit_label,
)
from closedloop.settings import get_settings
from closedloop.store import Store, open_store
from closedloop.store.tables import LabelingItem
from replay.annotators import CorpusTruth, SimulatedAnnotators
from tests.kernel.store.factories import SPAM, logged, spam_prediction

N = 20


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """N logged spam predictions, the corpus says even ones are spam."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", "8192")
    get_settings.cache_clear()
    store = open_store(f"sqlite:///{tmp_path / 'feedback.db'}")
    with store.session() as session:
        logged(session, *(spam_prediction(subject=f"offer {i}", score=0.3 + i / 50) for i in range(N)))
    yield store
    store.close()
    get_settings.cache_clear()


def annotators(**options: float) -> SimulatedAnnotators:
    answers = {SPAM.subject_key({"text": f"offer {i}\n\nclick here"}): i % 2 for i in range(N)}
    policy = QueuePolicy(batch_size=N, random_share=0.0)
    return SimulatedAnnotators(CorpusTruth(kind("spam"), answers), policy, slip=0.0, **options)  # type: ignore[arg-type]


def test_a_person_finds_items_left_for_people(store: Store) -> None:
    sims = annotators(people_share=0.5, people_seconds=1800, cap=N)
    with store.session() as session:
        tally = sims.work(session)
        left = queue_depth(session, model="spam")
        person = create_user(session, username="person", password="correct horse", role="annotator")
        item = next_item(session, user=person, model="spam", gold_rate=0.0)
        assert item is not None and sims.left_to_people(item.id)
        assert submit_label(session, item_id=item.id, user=person, label=1).status == "waiting"
    assert 0 < tally.labelled < 2 * N  # they answered their share, not everything
    assert left >= N // 3  # about half the queue waits for people


def test_disputes_wait_for_a_person_before_the_simulated_adjudicator(store: Store) -> None:
    waiting = annotators(people_share=1.0, people_seconds=1800, cap=N)
    with store.session() as session:
        waiting.work(session)  # queues the items, answers none: all are left to people
        ann, bob = (
            create_user(session, username=n, password="correct horse", role="annotator") for n in "ab"
        )
        for user, label in ((ann, 0), (bob, 1)):
            item = next_item(session, user=user, model="spam", gold_rate=0.0)
            assert item is not None
            submit_label(session, item_id=item.id, user=user, label=label)
        assert waiting.work(session).adjudicated == 0
        assert len(items_to_adjudicate(session, model="spam")) == 1  # a person may still decide it
        past_the_window = annotators(people_share=1.0, people_seconds=0, cap=N)
        assert past_the_window.work(session).adjudicated == 1  # nobody came: the loop goes on
        assert queue_depth(session, model="spam") == 0


def test_the_queue_is_topped_up_to_the_cap_not_refilled_on_every_pass(store: Store) -> None:
    sims = annotators(people_share=1.0, people_seconds=1800, cap=N // 2)
    with store.session() as session:
        for _ in range(3):
            sims.work(session)
        queued = session.scalar(select(func.count()).select_from(LabelingItem))
    assert queued == N // 2


def test_without_a_window_they_answer_everything(store: Store) -> None:
    sims = annotators(cap=N)
    with store.session() as session:
        tally = sims.work(session)
        assert queue_depth(session, model="spam") == 0
    assert tally.labelled == 2 * N and tally.agreed == N
