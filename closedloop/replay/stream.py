"""What a replay streams: the part of each corpus the first champion was not trained on, in time order.

The first champion trains on the earliest `base_fraction` of the corpus (by message date / rating time, the
base period, whose holdout the gate keeps as its guardrail, exactly as `closedloop.datasets` snapshots it);
everything after that cut is "the future" that arrives as traffic. With `base_fraction=1.0` nothing is left
to replay.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from closedloop.datasets.recsys import base_ratings
from closedloop.datasets.spam import split_base_period
from closedloop.settings import Settings

# Ratings by one user less than this far apart form one visit: one recommendation request.
VISIT_GAP_SECONDS = 3600


class NothingToReplay(ValueError):
    """The first champion was trained on the whole corpus, so there is no later part to stream."""


@dataclass(frozen=True)
class Visit:
    """One recommendation request: a user comes back at `timestamp` and rates `rated` (item -> stars) in this
    visit, each at `rated_at` (item -> Unix time); they rate `future` (item -> rating, this visit included)
    from now to the end of the stream."""

    user_id: int
    timestamp: int
    rated: dict[int, int]
    future: dict[int, int]
    rated_at: dict[int, int]


def later_messages(settings: Settings, messages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Spam messages after the first champion's training part, oldest first (columns of the corpus frame)."""
    from closedloop.kinds.spam.corpus import load_spam  # here: a kind may import this module

    messages = load_spam(settings) if messages is None else messages
    _base, later = split_base_period(messages, settings)
    if later.empty:
        raise NothingToReplay(_nothing_left("spam", settings))
    return later


def later_ratings(settings: Settings) -> pd.DataFrame:
    """MovieLens ratings after the first champion's training part, oldest first."""
    from closedloop.kinds.recsys.corpus import load_movielens  # here: a kind may import this module

    movielens = load_movielens(settings)
    ratings = movielens.ratings.sort_values("timestamp", kind="stable")
    later = ratings.iloc[len(base_ratings(movielens, settings)) :].reset_index(drop=True)
    if later.empty:
        raise NothingToReplay(_nothing_left("recsys", settings))
    return later


def visits(ratings: pd.DataFrame, *, gap_seconds: int = VISIT_GAP_SECONDS) -> list[Visit]:
    """Group time-ordered ratings into visits (a user's ratings less than `gap_seconds` apart), in order of
    each visit's first rating."""
    frame = ratings.sort_values(["timestamp", "user_id", "item_id"], kind="stable").reset_index(drop=True)
    by_user = frame.sort_values(["user_id", "timestamp"], kind="stable")
    new_visit = by_user["user_id"].ne(by_user["user_id"].shift()) | by_user["timestamp"].diff().gt(
        gap_seconds
    )
    frame["visit"] = new_visit.cumsum().reindex(frame.index)
    found: list[Visit] = []
    future: dict[int, dict[int, int]] = {}
    # Walk backwards so each visit knows what its user rates from then on.
    groups = list(frame.groupby("visit", sort=False))
    groups.sort(key=lambda g: (int(g[1]["timestamp"].iloc[0]), int(g[1]["user_id"].iloc[0])))
    for _, rows in reversed(groups):
        user = int(rows["user_id"].iloc[0])
        items = rows["item_id"].astype(int).tolist()
        rated = dict(zip(items, rows["rating"].astype(int), strict=True))
        rated_at = dict(zip(items, rows["timestamp"].astype(int), strict=True))
        ahead = {**future.get(user, {}), **rated}
        future[user] = ahead
        found.append(Visit(user, int(rows["timestamp"].iloc[0]), rated, dict(ahead), rated_at))
    found.reverse()
    return found


def _nothing_left(model: str, settings: Settings) -> str:
    return (
        f"nothing to replay for {model}: the first champion trains on base_fraction="
        f"{settings.base_fraction} of the corpus; set CLOSEDLOOP_BASE_FRACTION below 1 (e.g. 0.2) before "
        "training the first champion, so that the later part can be streamed"
    )
