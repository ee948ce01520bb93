"""Refilling the queue from the UI (adjudicators and admins) and the movie-relevance task: the movie's title
and the user's recent ratings from the MovieLens cache, grades 1-4."""

from __future__ import annotations

from pathlib import Path

from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.settings import Settings
from closedloop.store import Store
from tests.factories import grouplens_zip
from tests.kernel.store.factories import logged, recsys_prediction, spam_prediction
from tests.services.labeling.conftest import Login, csrf_of


def test_adjudicator_refills_the_spam_queue(login: Login, store: Store) -> None:
    with store.session() as session:
        logged(session, *(spam_prediction(subject=f"offer {i}", score=0.5 + i / 10) for i in range(3)))
    alice, carol = login("alice"), login("carol")
    assert alice.get("/label/api/next").json() == {"item": None, "queue_depth": 0}
    refused = alice.post("/label/queue/refill", data={"model": "spam", "csrf_token": csrf_of(alice)})
    assert refused.status_code == 403
    done = carol.post("/label/queue/refill", data={"model": "spam", "csrf_token": csrf_of(carol)})
    assert done.status_code == 200 and "Added 3 spam items to the queue." in done.text
    assert alice.get("/label/api/next").json()["queue_depth"] == 3
    again = carol.post("/label/queue/refill", data={"model": "spam", "csrf_token": csrf_of(carol)})
    assert "Added 0 spam items" in again.text  # queued subjects are not queued twice
    bad = carol.post("/label/queue/refill", data={"model": "movies", "csrf_token": csrf_of(carol)})
    assert bad.status_code == 422


def test_movie_items_show_title_and_history(
    login: Login, store: Store, label_settings: Settings, tmp_path: Path
) -> None:
    corpora.fetch(label_settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml-100k.zip"))
    with store.session() as session:
        logged(session, recsys_prediction(user_id=1, items=(2, 4)))
    carol, alice = login("carol"), login("alice")
    done = carol.post("/label/queue/refill", data={"model": "recsys", "csrf_token": csrf_of(carol)})
    assert "Added 2 recsys items" in done.text
    item = alice.get("/label/api/next?model=recsys").json()["item"]
    assert item["task"] == "relevance" and item["subject"]["user_id"] == 1
    assert item["subject"]["title"] == f"Movie {item['subject']['item_id']}"
    history = item["subject"]["history"]
    assert 0 < len(history) <= 10 and all(row["title"].startswith("Movie ") for row in history)
    shown = item["shown"]
    assert (shown["lead"], shown["title"], shown["trail"]) == (
        "Would user 1 find",
        item["subject"]["title"],
        "relevant?",
    )
    assert len(shown["history"]) == len(history) and shown["history"][0].startswith(history[0]["title"])
    headers = {"X-CSRF-Token": csrf_of(alice)}
    path = f"/label/api/items/{item['id']}/label"
    wrong = alice.post(path, json={"label": 0}, headers=headers)
    assert wrong.status_code == 422 and "1 (not relevant)" in wrong.json()["detail"]
    saved = alice.post(path, json={"label": 3}, headers=headers).json()
    assert saved["prediction"]["name"] == "recommended"
