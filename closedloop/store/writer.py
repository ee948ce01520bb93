"""Group commit for feedback: many callers, one writer thread, one transaction (one fsync) per group.

One commit per event is bounded by fsync (~240/s on SQLite with synchronous=FULL). Callers `submit` an event
and get a future; the writer takes whatever is pending (up to `max_batch`, waiting at most `max_wait_s` for
a group to form), stores it with `record_feedback_batch` in ONE transaction and only then resolves every
future, so a resolved future still means "committed". A batch that fails on one event (unknown prediction,
invalid value, idempotency conflict) is split in halves until the bad events stand alone: each caller gets
its own result or error, and k bad events cost O(k log n) extra commits, not one commit per event.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.access import Store
from closedloop.store.errors import StoreError
from closedloop.store.feedback import record_feedback_batch
from closedloop.store.records import FeedbackIn, FeedbackRecord
from closedloop.store.tables import Prediction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Acknowledged:
    """A committed (or replayed) event, with the model version of the prediction it is about."""

    record: FeedbackRecord
    created: bool
    model: str
    model_version: str


_Pending = tuple[FeedbackIn, "Future[Acknowledged]"]


class FeedbackWriter:
    """`writer.submit(event).result()` returns once the event is committed (or raises the store's error)."""

    def __init__(self, store: Store, *, max_batch: int = 512, max_wait_s: float = 0.001) -> None:
        self.store = store
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.commits = 0  # transactions that stored at least one group (read by metrics)
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="feedback-writer", daemon=True)
        self._thread.start()

    def submit(self, event: FeedbackIn) -> Future[Acknowledged]:
        future: Future[Acknowledged] = Future()
        self._queue.put((event, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is pending, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            group, stop = self._next_group()
            if group:
                self._commit(group)
            if stop:
                return

    def _next_group(self) -> tuple[list[_Pending], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        group, deadline = [first], time.monotonic() + self.max_wait_s
        while len(group) < self.max_batch:
            # Wait at most `max_wait_s` in all for a group to form, then take only what is already there.
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
        return group, False

    def _commit(self, group: list[_Pending]) -> None:
        try:
            with self.store.session() as session:
                results = record_feedback_batch(session, events=[event for event, _ in group])
                versions = _prediction_versions(session, {event.prediction_id for event, _ in group})
        except StoreError as error:
            if len(group) == 1:
                group[0][1].set_exception(error)
                return
            middle = len(group) // 2
            self._commit(group[:middle])  # bisect: isolate the events that fail
            self._commit(group[middle:])
            return
        except Exception as error:  # the database itself failed: every caller must hear it (a 500)
            log.exception("feedback group of %d failed", len(group))
            for _, future in group:
                future.set_exception(error)
            return
        self.commits += 1
        for (event, future), (record, created) in zip(group, results, strict=True):
            model, version = versions.get(event.prediction_id, ("unknown", "unknown"))
            future.set_result(
                Acknowledged(record=record, created=created, model=model, model_version=version)
            )


def _prediction_versions(session: Session, ids: set[str]) -> dict[str, tuple[str, str]]:
    rows = session.execute(
        select(Prediction.id, Prediction.model, Prediction.model_version).where(Prediction.id.in_(ids))
    )
    return {row.id: (row.model, row.model_version) for row in rows}
