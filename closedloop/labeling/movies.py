"""What a relevance annotator sees of a recommendation: the movie's title and the user's recent ratings."""

from __future__ import annotations

from typing import Any

from closedloop import corpora
from closedloop.labeling.candidates import Describe
from closedloop.settings import Settings

HISTORY = 10  # recent ratings shown beside an item


def movielens_describer(settings: Settings, *, history: int = HISTORY) -> Describe:
    """A `describe(user_id, item_id)` for `refill_queue(model="recsys")`, backed by the cached MovieLens
    corpus: {"title", "history": the user's `history` newest ratings as {"item_id", "title", "rating"}}."""
    movielens = corpora.load_movielens(settings)
    titles: dict[int, str] = dict(zip(movielens.items["item_id"], movielens.items["title"], strict=True))
    ratings = movielens.ratings.sort_values(["user_id", "timestamp"], ascending=[True, False])
    recent = ratings.groupby("user_id").head(history)
    by_user: dict[int, list[dict[str, Any]]] = {}
    for user_id, item_id, rating in zip(recent["user_id"], recent["item_id"], recent["rating"], strict=True):
        by_user.setdefault(int(user_id), []).append(
            {"item_id": int(item_id), "title": titles.get(int(item_id)), "rating": int(rating)}
        )

    def describe(user_id: int, item_id: int) -> dict[str, Any]:
        return {"title": titles.get(item_id), "history": by_user.get(user_id, [])}

    return describe
