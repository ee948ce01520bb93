"""Prediction logging with group commit: a bounded queue drained by one writer thread in batches.

A request enqueues its `PredictionRecord`s; the writer commits what has queued up meanwhile in one
statement and one commit (`log_predictions`), so concurrent requests share a commit instead of paying one
each. The API answers only once a request's predictions are committed (`collecting_commits` gathers what
a request submitted, `committed` waits for it): a prediction id a client has seen survives a crash of the
server, and feedback on it is never a 404. When the queue is full the record is dropped and counted
(`dropped`), never silently, and the answer does not wait for it. `pending(id)` / `wait_logged(id)` tell
whether an id is still queued and wait (bounded) for its commit, for callers that did not wait.

A log given a `now` store (SQLite with `synchronous=NORMAL` and no busy wait: see the API's
`prediction_log_synchronous` setting) commits the predictions submitted from the event loop on the loop
itself, all of one turn of the loop in one commit, while the writer thread has nothing queued: a lone
request then crosses no thread (a hop each way cost more than the commit, ~0.2 ms, on a busy machine). A
commit that meets a lock (another writer is committing) hands its records to the writer thread, which waits
the lock out; so do shadow-scored records and every record submitted from another thread.

Shadow scoring runs here too, after the commit (so the answer never waits for a challenger): records
submitted with `shadow=True` are passed to the `shadow` callable, which returns them with
`shadow_version` / `shadow_output` filled in, and those columns are then updated.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar

from closedloop.store import PredictionRecord, Store, log_predictions, record_shadow_scores

log = logging.getLogger(__name__)
ShadowScorer = Callable[[list[PredictionRecord]], list[PredictionRecord]]
Queued = tuple[PredictionRecord, bool, "Future[bool]"]  # (record, shadow-score it?, its commit)

# The commits of the predictions submitted while answering one request (a list shared with the thread a
# plain handler runs in: the thread pool copies the context, not the list).
_commits: ContextVar[list[Future[bool]] | None] = ContextVar("prediction_commits", default=None)


@contextmanager
def collecting_commits() -> Iterator[list[Future[bool]]]:
    """Collect the commits of every prediction submitted inside the block (by this task or the threads it
    runs handlers in); await them with `committed` before answering."""
    futures: list[Future[bool]] = []
    token = _commits.set(futures)
    try:
        yield futures
    finally:
        _commits.reset(token)


async def committed(futures: list[Future[bool]]) -> bool:
    """Wait until the predictions behind `futures` are committed; False if a write failed (logged and
    counted as `write_error`: the answer is still given, its ids are not in the store) or was dropped."""
    written = True
    for future in futures:  # the loop's commits and the writer's may settle out of order
        written = (future.result() if future.done() else await asyncio.wrap_future(future)) and written
    return written


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a plain handler in the thread pool
        return None


class PredictionLog:
    def __init__(
        self,
        store: Store,
        *,
        maxsize: int,
        batch_size: int = 500,
        shadow: ShadowScorer | None = None,
        now: Store | None = None,
    ) -> None:
        self.store, self.batch_size, self.shadow, self.now = store, batch_size, shadow, now
        self._soon: list[tuple[PredictionRecord, Future[bool]]] = []  # for the loop's next commit
        self.dropped: Counter[str] = Counter()  # reason -> records lost (queue_full | write_error)
        self.logged = 0
        self._queue: queue.Queue[Queued | None] = queue.Queue(maxsize=maxsize)
        self._pending: set[str] = set()
        self._logged = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def submit(self, record: PredictionRecord, *, shadow: bool = False) -> bool:
        """Queue `record` for logging; False (and counted) when the queue is full. Inside
        `collecting_commits`, its commit is collected."""
        done: Future[bool] = Future()
        with self._logged:
            self._pending.add(record.id)
        loop = _running_loop() if self.now is not None and not shadow else None
        if loop is not None:
            self._soon.append((record, done))
            if len(self._soon) == 1:  # one commit for what this turn of the loop submits
                loop.call_soon(self._commit_soon)
        elif not self._enqueue(record, shadow, done):
            return False
        collected = _commits.get()
        if collected is not None:
            collected.append(done)
        return True

    def _enqueue(self, record: PredictionRecord, shadow: bool, done: Future[bool]) -> bool:
        try:
            self._queue.put_nowait((record, shadow, done))
        except queue.Full:
            with self._logged:
                self._pending.discard(record.id)
            self.dropped["queue_full"] += 1
            log.warning("prediction log full: dropped prediction %s", record.id)
            done.set_result(False)
            return False
        return True

    def _commit_soon(self) -> None:
        """On the event loop: commit what the loop submitted (if nothing is queued for the writer and no
        lock is held: never a wait here), else hand it to the writer thread."""
        soon, self._soon = self._soon, []
        records = [record for record, _ in soon]
        if self.now is not None and self._queue.empty():
            try:
                with self.now.engine.connect() as connection:
                    log_predictions(connection, rows=records)
            except Exception:  # mostly "database is locked": the writer thread waits it out, or counts it
                log.debug("committing %d predictions on the loop failed; queued instead", len(records))
            else:
                self._settle(soon, written=True)
                return
        for record, done in soon:
            self._enqueue(record, False, done)

    def _settle(self, batch: list[tuple[PredictionRecord, Future[bool]]], *, written: bool) -> None:
        with self._logged:
            self._pending.difference_update(record.id for record, _ in batch)
            self.logged += len(batch) if written else 0
            self._logged.notify_all()
        for _, done in batch:
            done.set_result(written)

    def pending(self, prediction_id: str) -> bool:
        return prediction_id in self._pending

    def wait_logged(self, prediction_id: str, timeout: float = 5.0) -> bool:
        """Wait until `prediction_id` is no longer queued; False if it still is after `timeout` seconds."""
        with self._logged:
            return self._logged.wait_for(lambda: prediction_id not in self._pending, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Log what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            batch, stop = self._next_batch()
            if batch:
                self._write(batch)
            if stop:
                return

    def _next_batch(self) -> tuple[list[Queued], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[Queued]) -> None:
        records = [record for record, _, _ in batch]
        written = False
        try:
            with self.store.session() as session:
                log_predictions(session, rows=records)
            written = True
        except Exception:
            self.dropped["write_error"] += len(records)
            log.exception("could not log %d predictions", len(records))
        finally:
            self._settle([(record, done) for record, _, done in batch], written=written)
        shadowed = [record for record, shadow, _ in batch if shadow]
        if written and shadowed and self.shadow is not None:
            self._shadow_score(shadowed)

    def _shadow_score(self, records: list[PredictionRecord]) -> None:
        """The challenger's scores of logged predictions, written beside the champion's."""
        try:
            scored = self.shadow(records) if self.shadow is not None else []
            with self.store.session() as session:
                record_shadow_scores(session, rows=scored)
        except Exception:  # a broken challenger must not cost the champion's log
            log.exception("shadow scoring of %d predictions failed", len(records))
