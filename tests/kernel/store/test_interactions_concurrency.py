"""Concurrent interaction writers: the UNIQUE constraint settles replays, and ids become visible in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from closedloop.store import InteractionIn, InteractionRecord, read_interactions, record_interactions
from closedloop.store.tables import Interaction
from tests.kernel.store.factories import count_rows, interaction

WRITERS = 8


def _record_all(
    sessions: sessionmaker[Session], batches: list[list[InteractionIn]]
) -> list[list[tuple[InteractionRecord, bool]]]:
    """Record each batch from its own thread and session, all released at the same instant."""
    start = threading.Barrier(len(batches))

    def write(events: list[InteractionIn]) -> list[tuple[InteractionRecord, bool]]:
        with sessions() as session:
            start.wait()
            return record_interactions(session, events=events)

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        return list(pool.map(write, batches))


def test_concurrent_replays_store_one_row(session: Session, sessions: sessionmaker[Session]) -> None:
    event = interaction(kind="rating", value=4)
    results = [result for batch in _record_all(sessions, [[event]] * WRITERS) for result in batch]
    assert len({record.id for record, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count_rows(session, Interaction) == 1


def test_overlapping_batches_store_each_event_once(session: Session, sessions: sessionmaker[Session]) -> None:
    shared = [interaction(item_id=i) for i in range(20)]
    batches = [[*shared, interaction(user_id=100 + w)] for w in range(WRITERS)]
    results = _record_all(sessions, batches)
    created = [sum(created for _, created in batch) for batch in results]
    assert sum(created) == 20 + WRITERS
    assert count_rows(session, Interaction) == 20 + WRITERS
    ids = read_interactions(session, model="recsys").frame["interaction_id"]
    assert ids.is_unique and ids.is_monotonic_increasing


def test_snapshots_read_during_writes_are_reproducible(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    """A reader racing the writers never sees an id that a later commit could slip in below it."""
    done, seen = threading.Event(), []

    def read_while_writing() -> None:
        with sessions() as reader:
            while not done.is_set():
                watermark = read_interactions(reader, model="recsys").watermark
                reader.rollback()  # a fresh snapshot for the next read (PostgreSQL READ COMMITTED anyway)
                seen.append((watermark["last_id"], watermark["count"]))

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    try:
        _record_all(
            sessions, [[interaction(user_id=w, item_id=i) for i in range(50)] for w in range(WRITERS)]
        )
        _record_all(sessions, [[interaction(user_id=w, item_id=i)] for w in range(WRITERS) for i in range(4)])
    finally:
        done.set()
        reader.join()
    reads = [(last_id, count) for last_id, count in seen if last_id is not None]
    assert len(reads) > 1
    for last_id, count in reads:
        assert read_interactions(session, model="recsys", upto_id=last_id).watermark["count"] == count
