"""Relevance items show the movie's title and what the platform knows of the user: their ratings in the base
period of the cached MovieLens and the interactions logged since — never a later corpus rating."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.recsys.describer import movielens_describer
from closedloop.settings import Settings
from closedloop.store import record_interactions
from tests.factories import grouplens_zip
from tests.kernel.store.factories import interaction


def test_describer_gives_title_and_newest_base_ratings(
    settings: Settings, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    grouplens_zip(tmp_path / "ml-100k.zip", n_users=3, n_items=6)
    corpora.fetch(settings, MOVIELENS, source=tmp_path)
    describe = movielens_describer(settings, sessions=sessions, history=2)
    about = describe(1, 3)
    assert about["title"].startswith("Movie 3")
    history = about["history"]
    assert [h["item_id"] for h in history] == [6, 5]  # user 1 rated items 1, 2, 4, 5, 6 in that order
    assert history[0] == {"item_id": 6, "title": history[0]["title"], "kind": "rating", "rating": 2}
    assert describe(99, 3)["history"] == []  # an unknown user has no history


def test_describer_shows_logged_interactions_never_a_later_unlogged_rating(
    settings: Settings, tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    # The corpus is ordered user by user: with half of it as the base period, user 2 has rated item 1 (3
    # stars) in it; their ratings of items 3, 4 and 5 (2, 4 and 1 stars) come later, in the replay's future.
    replay = settings.model_copy(update={"base_fraction": 0.5})
    grouplens_zip(tmp_path / "ml-100k.zip", n_users=3, n_items=6)
    corpora.fetch(replay, MOVIELENS, source=tmp_path)
    describe = movielens_describer(replay, sessions=sessions)  # built before anything is logged
    assert [(h["item_id"], h["rating"]) for h in describe(2, 5)["history"]] == [(1, 3)]

    with sessions() as session:
        record_interactions(
            session,
            events=[
                interaction(user_id=2, item_id=4, kind="rating", value=4.0),  # the later rating, now logged
                interaction(user_id=2, item_id=6, kind="click"),
                interaction(user_id=3, item_id=5, kind="rating", value=5.0),  # someone else's
            ],
        )
    history = describe(2, 5)["history"]
    assert [(h["item_id"], h["kind"], h["rating"]) for h in history] == [
        (6, "click", None),
        (4, "rating", 4),
        (1, "rating", 3),
    ]
    assert history[0]["title"].startswith("Movie 6")
    assert {3, 5}.isdisjoint(h["item_id"] for h in history)  # rated later in the corpus, never logged
    newest = movielens_describer(replay, sessions=sessions, history=2)(2, 5)["history"]
    assert [h["item_id"] for h in newest] == [6, 4]  # the newest ten (here two) of both, logged ones first
