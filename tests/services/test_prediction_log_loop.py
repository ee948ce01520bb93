"""The prediction log's commits on the event loop (`PredictionLog(now=...)`, the API's default on SQLite):
a lone request's predictions are committed on the loop thread with no thread hop, what one turn of the loop
submits shares one commit, a lock held by another writer never blocks the loop (the writer thread waits it
out instead), and the API commits predictions without an fsync while feedback keeps one."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from closedloop.serving import PredictionLog, collecting_commits, committed
from closedloop.settings import Settings
from closedloop.store import PredictionRecord, Store, open_store
from closedloop.store.engine import make_engine, session_factory
from services.api import create_app
from tests.services.conftest import open_client, wait_ready

FULL, NORMAL = 2, 1  # what `PRAGMA synchronous` reads back


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_store(url).close()  # migrated
    yield url


def loop_store(url: str) -> Store:
    engine = make_engine(url, sqlite_synchronous="NORMAL", sqlite_busy_timeout_ms=0, pool_size=1)
    return Store(engine=engine, sessions=session_factory(engine))


def record(n: int = 0) -> PredictionRecord:
    return PredictionRecord(model="spam", model_version="1", input={"text": f"m{n}"}, output={"p": 0.5})


def stored_ids(url: str) -> set[str]:
    store = open_store(url)  # a connection of its own, as a restarted server would have
    try:
        with store.engine.connect() as connection:
            return set(connection.execute(text("SELECT id FROM predictions")).scalars().all())
    finally:
        store.close()


def commits_of(store: Store) -> list[int]:
    """The thread ids of the commits made through `store`, as they happen."""
    threads: list[int] = []
    event.listen(store.engine, "commit", lambda _connection: threads.append(threading.get_ident()))
    return threads


async def submit_and_wait(log: PredictionLog, records: list[PredictionRecord]) -> bool:
    with collecting_commits() as futures:
        for r in records:
            assert log.submit(r)
    return await committed(futures)


def test_a_lone_prediction_is_committed_on_the_event_loop(database: str):
    writer, now = open_store(database, upgrade=False), loop_store(database)
    on_writer, on_loop = commits_of(writer), commits_of(now)
    log = PredictionLog(writer, maxsize=100, now=now)
    lone = record()

    async def serve() -> tuple[bool, int]:
        return await submit_and_wait(log, [lone]), threading.get_ident()

    try:
        written, loop_thread = asyncio.run(serve())
        assert written and lone.id in stored_ids(database) and not log.pending(lone.id)
        assert on_loop == [loop_thread] and on_writer == []  # no hop to the writer thread and back
        assert log.logged == 1
    finally:
        log.close()
        now.close()
        writer.close()


def test_one_turn_of_the_loop_shares_one_commit(database: str):
    writer, now = open_store(database, upgrade=False), loop_store(database)
    on_loop = commits_of(now)
    log = PredictionLog(writer, maxsize=100, now=now)
    records = [record(n) for n in range(8)]  # e.g. the answers of one micro-batch

    async def serve() -> list[bool]:
        return await asyncio.gather(*(submit_and_wait(log, [r]) for r in records))

    try:
        assert asyncio.run(serve()) == [True] * 8
        assert {r.id for r in records} <= stored_ids(database) and len(on_loop) == 1
    finally:
        log.close()
        now.close()
        writer.close()


def test_a_held_lock_never_blocks_the_loop(database: str):
    """Another writer holds SQLite's write lock: the loop's commit fails at once and the writer thread waits
    for the lock; the answer still waits for the commit, and gets it once the lock is released."""
    writer, now = open_store(database, upgrade=False), loop_store(database)
    on_writer = commits_of(writer)
    log = PredictionLog(writer, maxsize=100, now=now)
    blocked = record()
    holder = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a feedback commit in progress holds it

    async def serve() -> tuple[bool, float, bool]:
        task = asyncio.ensure_future(submit_and_wait(log, [blocked]))
        start = time.perf_counter()
        await asyncio.sleep(0.3)  # the loop keeps turning while the lock is held
        lag = time.perf_counter() - start
        waiting = not task.done()
        holder.execute("ROLLBACK")
        return await task, lag, waiting

    try:
        written, lag, waited = asyncio.run(serve())
        assert written and waited and lag < 1.0  # the answer waited for the commit; the loop did not stall
        assert blocked.id in stored_ids(database) and len(on_writer) == 1
    finally:
        holder.close()
        log.close()
        now.close()
        writer.close()


def test_shadow_scored_and_thread_pool_predictions_go_through_the_writer(database: str):
    writer, now = open_store(database, upgrade=False), loop_store(database)
    on_writer, on_loop = commits_of(writer), commits_of(now)
    scored: list[str] = []

    def shadow(records: list[PredictionRecord]) -> list[PredictionRecord]:
        scored.extend(r.id for r in records)
        return [r.model_copy(update={"shadow_version": "2", "shadow_output": {"p": 0.1}}) for r in records]

    log = PredictionLog(writer, maxsize=100, now=now, shadow=shadow)
    shadowed, from_pool = record(1), record(2)

    async def serve() -> bool:
        with collecting_commits() as futures:
            log.submit(shadowed, shadow=True)
            await asyncio.to_thread(log.submit, from_pool)  # a plain handler, in the thread pool
        return await committed(futures)

    try:
        assert asyncio.run(serve())
        assert {shadowed.id, from_pool.id} <= stored_ids(database) and on_loop == [] and len(on_writer) >= 1
    finally:
        log.close()
        now.close()
        writer.close()
    assert scored == [shadowed.id]


def synchronous_of(store: Store) -> Any:
    with store.engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA synchronous").scalar()


@pytest.mark.parametrize("setting", ["NORMAL", "FULL"])
def test_the_api_commits_predictions_as_set_and_feedback_with_an_fsync(serving_home: Path, setting: str):
    settings = Settings(home=serving_home, shadow_share=0.0, prediction_log_synchronous=setting)
    with open_client(create_app(settings)) as client:
        wait_ready(client)
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        answer = client.post("/v1/spam/predict", json={"text": "free money, click now"})
        assert answer.status_code == 200
        assert answer.json()["prediction_id"] in stored_ids(settings.store_url)
        assert synchronous_of(runtime.store) == FULL  # feedback, interactions, audit: always FULL
        assert synchronous_of(runtime.predictions.store) == (NORMAL if setting == "NORMAL" else FULL)
        assert (runtime.predictions.now is not None) == (setting == "NORMAL")


def test_kind_routes_still_refuse_calls_without_a_key(client: TestClient):
    answer = client.post("/v1/spam/predict", json={"text": "hello"}, headers={"X-API-Key": "wrong"})
    assert answer.status_code == 403
    assert "X-API-Key" in str(client.get("/openapi.json").json()["paths"]["/v1/spam/predict"])
