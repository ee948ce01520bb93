"""What the recommender's replay streams: the MovieLens ratings after the first champion's base period,
grouped into visits — a user coming back and rating a few movies, one recommendation request each."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.snapshot import base_ratings
from closedloop.kinds.simulation import nothing_left
from closedloop.settings import Settings

# Ratings by one user less than this far apart form one visit: one recommendation request.
VISIT_GAP_SECONDS = 3600


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


def later_ratings(settings: Settings) -> pd.DataFrame:
    """MovieLens ratings after the first champion's training part, oldest first."""
    from closedloop.kinds.recsys.corpus import load_movielens  # here: a kind may import this module

    movielens = load_movielens(settings)
    ratings = movielens.ratings.sort_values("timestamp", kind="stable")
    later = ratings.iloc[len(base_ratings(movielens, settings)) :].reset_index(drop=True)
    if later.empty:
        raise nothing_left(NAME, settings.base_fraction)
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
