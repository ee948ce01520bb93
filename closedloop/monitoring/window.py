"""The current window: the champion's newest logged predictions (the last `monitor_window_hours`, at most
`monitor_window_size`); the kind turns them into the same descriptor columns as its reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from closedloop.monitoring.errors import EmptyWindow
from closedloop.settings import Settings
from closedloop.store import Store, recent_predictions


@dataclass(frozen=True)
class Window:
    predictions: pd.DataFrame  # `recent_predictions` rows served by the champion version, newest first
    since: datetime | None
    n_other_versions: int  # predictions in the window served by other versions (left out)


def current_window(
    settings: Settings, store: Store, *, model: str, version: str | None, now: datetime
) -> Window:
    """Logged predictions of `model` (a kind's name) in the window; only `version`'s when given (a new
    champion is compared with its own training data, not with its predecessor's traffic). Raises
    `EmptyWindow` when none."""
    hours = settings.monitor_window_hours
    since = now - timedelta(hours=hours) if hours is not None else None
    with store.session() as session:
        frame = recent_predictions(session, model=model, since=since, limit=settings.monitor_window_size)
    if frame.empty:
        span = f"the last {hours:g} h" if hours is not None else "the store"
        raise EmptyWindow(
            f"no {model} predictions logged in {span}: serve some traffic first (`closedloop serve`, or "
            f"`closedloop demo`), or widen the window with CLOSEDLOOP_MONITOR_WINDOW_HOURS"
        )
    mine = frame[frame["model_version"] == version] if version is not None else frame
    if mine.empty:
        raise EmptyWindow(
            f"none of the {len(frame)} {model} predictions in the window came from the champion "
            f"v{version} yet: wait for traffic on it, then run `closedloop monitor {model}` again"
        )
    return Window(
        predictions=mine.reset_index(drop=True), since=since, n_other_versions=len(frame) - len(mine)
    )
