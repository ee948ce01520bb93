"""What a refill from the UI needs besides the kernel: the deployed policy (from settings) and, for movie
items, a describer that adds the movie's title and the user's recent ratings from the MovieLens cache."""

from __future__ import annotations

from typing import Any

from closedloop import corpora
from closedloop.labeling import Describe, QueuePolicy
from closedloop.settings import Settings

HISTORY = 10  # newest ratings shown beside a recommended movie


def deployed_policy(settings: Settings) -> QueuePolicy:
    return QueuePolicy(
        batch_size=settings.labeling_batch_size,
        random_share=settings.labeling_random_share,
        window=settings.labeling_window,
    )


def movie_describer(settings: Settings) -> Describe | None:
    """`describe(user_id, item_id)` over the cached MovieLens tables; None when they were never fetched
    (movie items then show ids only)."""
    if corpora.read_manifest(settings, "movielens") is None:
        return None
    movielens = corpora.load_movielens(settings)
    titles = dict(zip(movielens.items["item_id"].tolist(), movielens.items["title"].tolist(), strict=True))
    newest = movielens.ratings.sort_values("timestamp").groupby("user_id").tail(HISTORY)
    history: dict[int, list[dict[str, Any]]] = {}
    for row in newest.iloc[::-1].itertuples(index=False):  # newest first
        history.setdefault(int(row.user_id), []).append(
            {"item_id": int(row.item_id), "title": titles.get(int(row.item_id)), "rating": float(row.rating)}
        )

    def describe(user_id: int, item_id: int) -> dict[str, Any]:
        return {"title": titles.get(item_id), "history": history.get(user_id, [])}

    return describe
