"""The current window: the champion's newest logged predictions (the last `monitor_window_hours`, at most
`monitor_window_size`), turned into the same descriptor columns as the reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from closedloop.monitoring.errors import EmptyWindow
from closedloop.settings import Settings
from closedloop.store import Store, recent_predictions
from models.recsys.descriptors import InteractionProfile, describe_requests
from models.spam.corpus import message_text
from models.spam.descriptors import TextProfile, describe_texts


@dataclass(frozen=True)
class Window:
    predictions: pd.DataFrame  # `recent_predictions` rows served by the champion version, newest first
    since: datetime | None
    n_other_versions: int  # predictions in the window served by other versions (left out)


def current_window(
    settings: Settings, store: Store, *, model: str, version: str | None, now: datetime
) -> Window:
    """Logged predictions of `model` in the window; only `version`'s when given (a new champion is compared
    with its own training data, not with its predecessor's traffic). Raises `EmptyWindow` when none."""
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


def spam_texts(predictions: pd.DataFrame) -> list[str]:
    """The logged model text of each prediction (older rows may carry only subject and body)."""
    return [
        str(i["text"]) if i.get("text") is not None else message_text(i.get("subject", ""), i.get("body", ""))
        for i in predictions["input"]
    ]


def spam_frame(predictions: pd.DataFrame, profile: TextProfile) -> pd.DataFrame:
    """Descriptors + the served spam probability, one row per logged prediction."""
    frame = describe_texts(spam_texts(predictions), profile)
    frame["score"] = [float(o["spam_probability"]) for o in predictions["output"]]
    return frame


def recsys_requests(predictions: pd.DataFrame) -> pd.DataFrame:
    """user_id, items, scores of each logged recommendation list."""
    return pd.DataFrame(
        {
            "user_id": [int(i["user_id"]) for i in predictions["input"]],
            "items": [list(o.get("items", [])) for o in predictions["output"]],
            "scores": [list(o.get("scores", [])) for o in predictions["output"]],
        }
    )


def recsys_frame(predictions: pd.DataFrame, profile: InteractionProfile) -> pd.DataFrame:
    return describe_requests(recsys_requests(predictions), profile)


def typical_k(predictions: pd.DataFrame) -> int:
    """The most common list length asked for (the reference is answered with the same k)."""
    ks = pd.Series([int(i.get("k", 10)) for i in predictions["input"]])
    return int(ks.mode().iloc[0])
