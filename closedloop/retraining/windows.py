"""What every snapshot shares: how large the gate's window is, and the newest event time it read.

"No decision reads data newer than itself" is checked from what the snapshot records here: the newest event
time among every row it read (corpus, holdout, labels, interactions), which must not be later than the
decision made on it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from closedloop.settings import Settings


def window_size(n_new: int, settings: Settings, share: float | None = None) -> int:
    """How many of the `n_new` units that arrived since the champion's watermark become the window: the
    newest `gate_window_fraction` of them (the older rest is what the challenger learns from), or `share`
    of them (1.0: all, to judge a model already trained)."""
    fraction = settings.gate_window_fraction if share is None else share
    return math.floor(n_new * fraction) if n_new > 0 else 0


def newest_event(**times: pd.Series) -> dict[str, Any]:
    """{"newest_event_at": the latest time over every series (ISO 8601, UTC), "by_source": each one's}."""
    by_source: dict[str, str | None] = {}
    latest: pd.Timestamp | None = None
    for name, series in times.items():
        stamps = pd.to_datetime(series, utc=True).dropna()
        newest = stamps.max() if len(stamps) else None
        by_source[name] = newest.isoformat() if newest is not None else None
        if newest is not None and (latest is None or newest > latest):
            latest = newest
    return {"newest_event_at": latest.isoformat() if latest is not None else None, "by_source": by_source}
