"""Group commit: many callers, one writer thread, one transaction (one fsync) per group of waiting requests.

One commit per event is bounded by fsync (~240/s on SQLite with synchronous=FULL). Callers `submit` a request
and get a future; the writer takes whatever is pending (up to `max_batch` events, waiting at most
`max_wait_s` for a group to form), stores it in ONE transaction and only then resolves every future, so a
resolved future still means "committed". A group that fails on one request (unknown prediction, invalid
value, idempotency conflict) is split in halves until the bad requests stand alone: each caller gets its own
result or error, and k bad requests cost O(k log n) extra commits, not one commit per request.

`FeedbackWriter` commits feedback events (one per request); `InteractionWriter` commits interaction requests,
each a list of events that is stored all or nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.access import Store
from closedloop.store.errors import StoreError
from closedloop.store.feedback import record_feedback_batch
from closedloop.store.interactions import InteractionIn, InteractionRecord, record_interactions
from closedloop.store.records import FeedbackIn, FeedbackRecord
from closedloop.store.tables import Prediction

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

log = logging.getLogger(__name__)

Request = TypeVar("Request")
Result = TypeVar("Result")
# Stores a group in one transaction (and commits); one result per request, in order. Raises a StoreError
# when any request is refused, having stored nothing.
CommitGroup = Callable[[Session, list[Request]], list[Result]]


def commit_bisecting(
    store: Store, requests: list[Request], commit: CommitGroup[Request, Result]
) -> tuple[list[Result | Exception], int]:
    """Commit `requests` as one group, splitting it in halves around the requests the store refuses.

    Returns each request's result or exception, in order, and how many transactions stored something. A
    StoreError belongs to one request (found by bisection); any other exception means the database itself
    failed, and every request of the (sub)group that met it gets it.
    """
    try:
        with store.session() as session:
            return list(commit(session, requests)), 1
    except StoreError as error:
        if len(requests) == 1:
            return [error], 0
    except Exception as error:
        log.exception("group of %d requests failed", len(requests))
        return [error] * len(requests), 0
    middle = len(requests) // 2
    head, head_commits = commit_bisecting(store, requests[:middle], commit)
    tail, tail_commits = commit_bisecting(store, requests[middle:], commit)
    return head + tail, head_commits + tail_commits


class GroupWriter(Generic[Request, Result]):
    """`writer.submit(request).result()` returns once the request is committed (or raises the store's error).

    `size` tells how many events a request holds, so that a group stays near `max_batch` events whatever
    the requests' sizes (a group ends once it reaches `max_batch`).
    """

    def __init__(
        self,
        store: Store,
        commit: CommitGroup[Request, Result],
        *,
        name: str,
        max_batch: int = 512,
        max_wait_s: float = 0.001,
        size: Callable[[Request], int] = lambda _: 1,
    ) -> None:
        self.store = store
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.commits = 0  # transactions that stored at least one group (read by metrics)
        self._commit_group, self._size = commit, size
        self._queue: queue.SimpleQueue[tuple[Request, Future[Result]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> Future[Result]:
        future: Future[Result] = Future()
        self._queue.put((request, future))
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

    def _next_group(self) -> tuple[list[tuple[Request, Future[Result]]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        group, deadline = [first], time.monotonic() + self.max_wait_s
        events = self._size(first[0])
        while events < self.max_batch:
            # Wait at most `max_wait_s` in all for a group to form, then take only what is already there.
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return group, True
            group.append(item)
            events += self._size(item[0])
        return group, False

    def _commit(self, group: list[tuple[Request, Future[Result]]]) -> None:
        requests = [request for request, _ in group]
        outcomes, commits = commit_bisecting(self.store, requests, self._commit_group)
        self.commits += commits
        for (_, future), outcome in zip(group, outcomes, strict=True):
            # An exception that is not a StoreError is the database failing: the caller answers 500.
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


@dataclass(frozen=True)
class Acknowledged:
    """A committed (or replayed) event, with the model version of the prediction it is about."""

    record: FeedbackRecord
    created: bool
    model: str
    model_version: str


def commit_feedback(
    session: Session, events: list[FeedbackIn], *, kinds: Mapping[str, ModelKind]
) -> list[Acknowledged]:
    """Store feedback events in one transaction, each acknowledged with its prediction's model version."""
    results = record_feedback_batch(session, events=events, kinds=kinds)
    versions = _prediction_versions(session, {event.prediction_id for event in events})
    acknowledged = []
    for event, (record, created) in zip(events, results, strict=True):
        model, version = versions.get(event.prediction_id, ("unknown", "unknown"))
        acknowledged.append(Acknowledged(record=record, created=created, model=model, model_version=version))
    return acknowledged


class FeedbackWriter(GroupWriter[FeedbackIn, Acknowledged]):
    """Group commit of feedback: `writer.submit(event).result()` is the event's `Acknowledged`. `kinds`
    (name -> kind) says which feedback fits a prediction of each kind."""

    def __init__(
        self,
        store: Store,
        *,
        kinds: Mapping[str, ModelKind],
        max_batch: int = 512,
        max_wait_s: float = 0.001,
    ) -> None:
        commit = partial(commit_feedback, kinds=dict(kinds))
        super().__init__(store, commit, name="feedback-writer", max_batch=max_batch, max_wait_s=max_wait_s)


Stored = list[tuple[InteractionRecord, bool]]


def commit_interactions(session: Session, requests: list[Sequence[InteractionIn]]) -> list[Stored]:
    """Store several requests' interactions in one transaction; each request gets its own `(record, created)`
    list. An event_id used by two requests of the group counts as a replay in the later one, as it would
    had they been committed one after the other."""
    results = record_interactions(session, events=[event for request in requests for event in request])
    ends = list(accumulate(len(request) for request in requests))
    return [results[end - len(request) : end] for request, end in zip(requests, ends, strict=True)]


class InteractionWriter(GroupWriter[Sequence[InteractionIn], Stored]):
    """Group commit of interactions: `writer.submit(events).result()` stores `events` all or nothing.

    Groups hold up to `max_batch` events, so a few large batches do not make one huge transaction.
    """

    def __init__(self, store: Store, *, max_batch: int = 2_000, max_wait_s: float = 0.001) -> None:
        super().__init__(
            store,
            commit_interactions,
            name="interaction-writer",
            max_batch=max_batch,
            max_wait_s=max_wait_s,
            size=len,
        )


def _prediction_versions(session: Session, ids: set[str]) -> dict[str, tuple[str, str]]:
    rows = session.execute(
        select(Prediction.id, Prediction.model, Prediction.model_version).where(Prediction.id.in_(ids))
    )
    return {row.id: (row.model, row.model_version) for row in rows}
