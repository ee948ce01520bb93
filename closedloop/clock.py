"""The platform's clock: wall time, unless a replay sets simulated time.

Every timestamp the kernel writes (a prediction's, a label's, a gate decision's) comes from `now()`. A
backtest that replays a corpus from 2002 runs under `simulated(t)`, so that what it writes is stamped with
the stream's time and "no decision reads data newer than itself" can be checked against that time: a
decision made at simulated time t must only read rows whose event time is <= t.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_simulated: ContextVar[datetime | None] = ContextVar("closedloop_simulated_time", default=None)


def now() -> datetime:
    """The current time, timezone-aware UTC: simulated inside `simulated(...)`, the wall clock elsewhere."""
    moment = _simulated.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def simulated(moment: datetime) -> Iterator[None]:
    """Run the block at simulated time `moment` (naive means UTC); nests, and restores the outer time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    token = _simulated.set(aware.astimezone(UTC))
    try:
        yield
    finally:
        _simulated.reset(token)
