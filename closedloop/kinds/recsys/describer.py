"""What a relevance annotator sees of a recommendation: the movie's title and what the platform knows of the
user's taste — their ratings in the base period of MovieLens (what the first model trained on) and the
interactions logged in the store since, newest first.

Never a later corpus rating: in a replay the rest of the corpus is the future, which may hold the very
answer the annotator is asked to judge. Logged interactions count as newer than every base rating, since
the store logs what happened after the base period (and orders them as they were stored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from closedloop.kinds.contract import Describe
from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.snapshot import base_ratings
from closedloop.settings import Settings
from closedloop.store import user_history

HISTORY = 10  # most recent answers shown beside an item


def movielens_describer(
    settings: Settings, *, sessions: Callable[[], Session], history: int = HISTORY
) -> Describe:
    """A `describe(user_id, item_id)` for the recommender's labeling items: {"title", "history": the user's
    `history` newest known answers, newest first, as {"item_id", "title", "kind", "rating"}}; `rating` holds
    the stars of a rating and is None for a view, click or dismiss.

    Base ratings come from the cached MovieLens (`base_ratings`: the earliest `settings.base_fraction`);
    each call reads the user's logged interactions through a new session from `sessions` (`store.session`,
    a `sessionmaker`), so a describer kept across refills shows what was logged up to each of them.
    """
    from closedloop.kinds.recsys.corpus import load_movielens  # here: the kind imports this module

    movielens = load_movielens(settings)
    titles: dict[int, str] = dict(zip(movielens.items["item_id"], movielens.items["title"], strict=True))
    base = base_ratings(movielens, settings)
    newest = base.sort_values(["user_id", "timestamp"], ascending=[True, False], kind="stable")
    recent = newest.groupby("user_id").head(history)
    known: dict[int, list[dict[str, Any]]] = {}  # user -> base ratings, newest first
    for user_id, item_id, rating in zip(recent["user_id"], recent["item_id"], recent["rating"], strict=True):
        known.setdefault(int(user_id), []).append(_answer(titles, int(item_id), "rating", rating))

    def describe(user_id: int, item_id: int) -> dict[str, Any]:
        with sessions() as session:
            logged = user_history(session, model=NAME, user_id=user_id)  # oldest first
        since = [_answer(titles, item, kind, value) for item, kind, value in logged[::-1][:history]]
        return {"title": titles.get(item_id), "history": (since + known.get(user_id, []))[:history]}

    return describe


def _answer(titles: dict[int, str], item_id: int, kind: str, value: float | None) -> dict[str, Any]:
    return {"item_id": item_id, "title": titles.get(item_id), "kind": kind, "rating": _stars(value)}


def _stars(value: float | None) -> int | float | None:
    """Whole stars as an int (MovieLens 100k), half stars as they are."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)
