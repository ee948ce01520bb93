"""Concurrent writers: the UNIQUE constraint, not a look-up, decides which replay stores the event."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from closedloop.store import (
    FeedbackIn,
    FeedbackRecord,
    make_engine,
    migrate,
    record_feedback,
    session_factory,
)
from closedloop.store.tables import FeedbackEvent
from tests.kernel.store.factories import KINDS, count_rows, feedback, logged, spam_prediction

WRITERS = 8
PROCESSES = 3


def _record_all(
    sessions: sessionmaker[Session], events: list[FeedbackIn]
) -> list[tuple[FeedbackRecord, bool]]:
    """Record each event from its own thread and session, all released at the same instant."""
    start = threading.Barrier(len(events))

    def write(event: FeedbackIn) -> tuple[FeedbackRecord, bool]:
        with sessions() as session:
            start.wait()
            return record_feedback(session, kinds=KINDS, event=event)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(write, events))


def test_concurrent_replays_store_one_row(session: Session, sessions: sessionmaker[Session]) -> None:
    [prediction] = logged(session, spam_prediction())
    event = feedback(prediction)
    results = _record_all(sessions, [event] * WRITERS)
    assert len({record.id for record, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count_rows(session, FeedbackEvent) == 1


def test_concurrent_distinct_events_are_all_stored(session: Session, sessions: sessionmaker[Session]) -> None:
    [prediction] = logged(session, spam_prediction())
    events = [feedback(prediction, actor=f"user-{i}") for i in range(WRITERS)]
    results = _record_all(sessions, events)
    assert all(created for _, created in results)
    assert len({record.id for record, _ in results}) == WRITERS
    assert count_rows(session, FeedbackEvent) == WRITERS


def _record_in_process(url: str, event_json: str, start: Barrier, results: Queue) -> None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            event = FeedbackIn.model_validate_json(event_json)
            start.wait(timeout=300)  # all processes are up: replay at the same instant
            record, created = record_feedback(session, kinds=KINDS, event=event)
            results.put((record.id, created))
    finally:
        engine.dispose()


def test_concurrent_replays_across_processes(tmp_path: Path) -> None:
    """Several workers (e.g. uvicorn processes) sharing one SQLite file; on PostgreSQL, processes and threads
    look the same to the server, so the thread tests above cover it."""
    store_url = f"sqlite:///{tmp_path / 'feedback.db'}"
    migrate(store_url)
    engine = make_engine(store_url)
    session = session_factory(engine)()
    [prediction] = logged(session, spam_prediction())
    event_json = feedback(prediction).model_dump_json()
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=_record_in_process, args=(store_url, event_json, start, queue))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    # Spawned interpreters import slowly on a busy machine: the waits are generous, not timing checks.
    results = [queue.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    assert len({record_id for record_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count_rows(session, FeedbackEvent) == 1
    session.close()
    engine.dispose()
