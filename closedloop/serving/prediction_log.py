"""Prediction logging off the request path: a bounded queue drained by one writer thread in batches.

A request only enqueues its `PredictionRecord`; the writer commits groups with `log_predictions`. When the
queue is full the record is dropped and counted (`dropped`), never silently. Feedback may name a prediction
that is still queued: `pending(id)` says so and `wait_logged(id)` waits (bounded) until it is committed, so
such feedback is not turned away with a spurious 404. Ids enter `pending` before the response is sent and
leave it only after their commit, so "not pending and not in the store" means "never logged".

Shadow scoring runs here too, after the response: records submitted with `shadow=True` are passed to the
`shadow` callable, which returns them with `shadow_version` / `shadow_output` filled in.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable

from closedloop.store import PredictionRecord, Store, log_predictions

log = logging.getLogger(__name__)
ShadowScorer = Callable[[list[PredictionRecord]], list[PredictionRecord]]


class PredictionLog:
    def __init__(
        self, store: Store, *, maxsize: int, batch_size: int = 500, shadow: ShadowScorer | None = None
    ) -> None:
        self.store, self.batch_size, self.shadow = store, batch_size, shadow
        self.dropped: Counter[str] = Counter()  # reason -> records lost (queue_full | write_error)
        self.logged = 0
        self._queue: queue.Queue[tuple[PredictionRecord, bool] | None] = queue.Queue(maxsize=maxsize)
        self._pending: set[str] = set()
        self._logged = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def submit(self, record: PredictionRecord, *, shadow: bool = False) -> bool:
        """Queue `record` for logging; False (and counted) when the queue is full."""
        with self._logged:
            self._pending.add(record.id)
        try:
            self._queue.put_nowait((record, shadow))
        except queue.Full:
            with self._logged:
                self._pending.discard(record.id)
            self.dropped["queue_full"] += 1
            log.warning("prediction log full: dropped prediction %s", record.id)
            return False
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

    def _next_batch(self) -> tuple[list[tuple[PredictionRecord, bool]], bool]:
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

    def _write(self, batch: list[tuple[PredictionRecord, bool]]) -> None:
        records = [record for record, _ in batch]
        shadowed = [record for record, shadow in batch if shadow]
        if shadowed and self.shadow is not None:
            try:
                scored = {r.id: r for r in self.shadow(shadowed)}
                records = [scored.get(r.id, r) for r in records]
            except Exception:  # a broken challenger must not cost the champion's log
                log.exception("shadow scoring of %d predictions failed", len(shadowed))
        try:
            with self.store.session() as session:
                self.logged += log_predictions(session, rows=records)
        except Exception:
            self.dropped["write_error"] += len(records)
            log.exception("could not log %d predictions", len(records))
        finally:
            with self._logged:
                self._pending.difference_update(r.id for r in records)
                self._logged.notify_all()
