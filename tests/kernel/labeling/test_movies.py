"""Relevance items show the movie's title and the user's newest ratings, from the cached MovieLens."""

from __future__ import annotations

from pathlib import Path

from closedloop import corpora
from closedloop.labeling import movielens_describer
from closedloop.settings import Settings
from tests.factories import grouplens_zip


def test_describer_gives_title_and_newest_history(settings: Settings, tmp_path: Path) -> None:
    grouplens_zip(tmp_path / "ml-100k.zip", n_users=3, n_items=6)
    corpora.fetch(settings, "movielens", source=tmp_path)
    describe = movielens_describer(settings, history=2)
    about = describe(1, 3)
    assert about["title"].startswith("Movie 3")
    history = about["history"]
    assert [h["item_id"] for h in history] == [6, 5]  # user 1 rated items 1, 2, 4, 5, 6 in that order
    assert {"item_id", "title", "rating"} == set(history[0])
    assert describe(99, 3)["history"] == []  # an unknown user has no history
