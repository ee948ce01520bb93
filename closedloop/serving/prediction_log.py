"""Prediction logging with group commit: a bounded queue drained by one writer thread in batches.

A request enqueues its `PredictionRecord`s; the writer commits what has queued up meanwhile in one
statement and one commit (`log_predictions`), so concurrent requests share a commit instead of paying one
each. The API answers only once a request's predictions are committed (`collecting_commits` gathers what
a request submitted, `committed` waits for it): a prediction id a client has seen survives a crash of the
server, and feedback on it is never a 404. When the queue is full the record is dropped and counted
(`dropped`), never silently, and the answer does not wait for it. `pending(id)` / `wait_logged(id)` tell
whether an id is still queued and wait (bounded) for its commit, for callers that did not wait.

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
    counted as `write_error`: the answer is still given, its ids are not in the store)."""
    if not futures:
        return True
    # One writer commits in queue order, so the last commit settles the request; earlier failures count too.
    last = await asyncio.wrap_future(futures[-1])
    return last and all(f.result() for f in futures[:-1])


class PredictionLog:
    def __init__(
        self, store: Store, *, maxsize: int, batch_size: int = 500, shadow: ShadowScorer | None = None
    ) -> None:
        self.store, self.batch_size, self.shadow = store, batch_size, shadow
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
        try:
            self._queue.put_nowait((record, shadow, done))
        except queue.Full:
            with self._logged:
                self._pending.discard(record.id)
            self.dropped["queue_full"] += 1
            log.warning("prediction log full: dropped prediction %s", record.id)
            return False
        collected = _commits.get()
        if collected is not None:
            collected.append(done)
        return True

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
                self.logged += log_predictions(session, rows=records)
            written = True
        except Exception:
            self.dropped["write_error"] += len(records)
            log.exception("could not log %d predictions", len(records))
        finally:
            with self._logged:
                self._pending.difference_update(r.id for r in records)
                self._logged.notify_all()
            for _, _, done in batch:
                done.set_result(written)
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
