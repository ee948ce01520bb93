"""Fold-in at serving: `POST /v1/recommendations` ranks from the user's current history (their logged
interactions and the request's `history`), never recommends what they have seen, and serves the popular items
only to a user with nothing liked; all with the model as trained, no retrain.

`client` serves the conftest's popularity recommender (catalogue 10..50, popular first: 10, 20, 30, 40, 50),
where fold-in shows as what is left out; `taste_client` serves an EASE model trained on two tastes, where it
shows in the ranking itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from closedloop import registry
from closedloop.kinds.recsys.packaging import log_recommender
from closedloop.registry import tracking
from closedloop.settings import Settings
from closedloop.store import (
    InteractionIn,
    InteractionKind,
    count_interactions_since,
    get_prediction,
    open_store,
    record_interactions,
)
from models.recsys.ease import EASERecommender
from services.api import create_app
from tests.services.conftest import open_client, wait_ready

# Two tastes: six users watch the action films (so they are the popular ones), three the comedies.
ACTION, COMEDY = [101, 102, 103, 104], [201, 202, 203, 204]
TASTES = [(user, item) for user in range(1, 7) for item in ACTION] + [
    (user, item)
    for user, items in {7: [201, 202, 203], 8: [202, 203, 204], 9: [201, 203, 204]}.items()
    for item in items
]
TASTE_TITLES = {item: f"Action {item}" for item in ACTION} | {item: f"Comedy {item}" for item in COMEDY}


def recommended(client: TestClient, user_id: int, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/recommendations", json={"user_id": user_id, "k": 10} | fields)
    assert response.status_code == 200, response.text
    return dict(response.json())


def item_ids(answer: dict[str, Any]) -> list[int]:
    return [item["item_id"] for item in answer["items"]]


def interaction(
    event_id: str, user_id: int, item_id: int, kind: InteractionKind, value: float | None = None
) -> InteractionIn:
    return InteractionIn(
        event_id=event_id, model="recsys", user_id=user_id, item_id=item_id, kind=kind, value=value
    )


def store_interactions(settings: Settings, events: list[InteractionIn]) -> None:
    """Write straight into the serving store, as an import or another API replica would."""
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            record_interactions(session, events=events)
    finally:
        store.close()


def register_tastes(settings: Settings) -> None:
    """Log an EASE recommender on `TASTES` as a new version of `recommender` and make it the champion."""
    ratings = pd.DataFrame(TASTES, columns=["user_id", "item_id"])
    model = EASERecommender(l2=1.0).fit(ratings, item_ids=list(TASTE_TITLES))
    client = tracking.configure(settings)
    with tracking.training_run(settings, experiment="recommender", run_name="tastes"):
        info = log_recommender(model, TASTE_TITLES, registered_name="recommender")
    store = open_store(settings.store_url)
    try:
        registry.promote(
            client,
            store,
            name="recommender",
            version=str(info.registered_model_version),
            actor="test",
            reason="test",
        )
    finally:
        store.close()


@pytest.fixture
def taste_client(serving_home: Path, api_settings: Settings) -> Iterator[TestClient]:
    register_tastes(Settings(home=serving_home))
    with open_client(create_app(api_settings)) as client:
        wait_ready(client)
        assert recommended(client, 1)["model_version"] == "2"
        yield client


def test_a_new_interaction_changes_the_next_recommendations(client: TestClient):
    before = recommended(client, 1, k=2)
    assert item_ids(before) == [30, 40]  # user 1 had 10 and 20 in training
    event = {"event_id": "v-1", "user_id": 1, "item_id": 30, "kind": "view"}
    assert client.post("/v1/interactions", json=event).status_code == 202
    after = recommended(client, 1, k=2)
    assert item_ids(after) == [40, 50]
    assert after["model_version"] == before["model_version"] == "1"  # the same model: no retrain


def test_seen_items_never_come_back_in_either_direction(client: TestClient):
    events = [
        {"event_id": "low", "user_id": 1, "item_id": 30, "kind": "rating", "value": 1},  # a negative
        {"event_id": "click", "user_id": 1, "item_id": 40, "kind": "click"},  # a positive
    ]
    assert client.post("/v1/interactions:batch", json={"events": events}).status_code == 202
    assert item_ids(recommended(client, 1)) == [50]  # 10 and 20 from training, 30 and 40 logged
    turned = [
        {"event_id": "c-50", "user_id": 1, "item_id": 50, "kind": "click"},
        {"event_id": "d-50", "user_id": 1, "item_id": 50, "kind": "dismiss"},  # the latest word on 50
    ]
    assert client.post("/v1/interactions:batch", json={"events": turned}).status_code == 202
    answer = recommended(client, 1)
    assert answer["items"] == [] and answer["cold_start"] is False
    assert len(item_ids(recommended(client, 1, exclude_seen=False))) == 5  # the flag still lets them back


def test_a_new_user_with_three_interactions_is_personal_at_once(
    taste_client: TestClient, api_settings: Settings
):
    nobody = recommended(taste_client, 501)
    assert nobody["cold_start"] is True and item_ids(nobody)[:4] == ACTION  # the popular films
    store_interactions(
        api_settings,
        [
            interaction("n-1", 500, 201, "click"),
            interaction("n-2", 500, 202, "rating", 5.0),
            interaction("n-3", 500, 203, "view"),
        ],
    )
    answer = recommended(taste_client, 500)
    assert answer["cold_start"] is False
    assert item_ids(answer)[0] == 204  # the comedy the others with this taste watched, not a popular film
    assert not {201, 202, 203} & set(item_ids(answer))


def test_new_user_with_interactions_is_not_cold_start(client: TestClient, api_settings: Settings):
    events = [interaction(f"e-{item}", 700, item, "view") for item in (10, 20, 30)]
    store_interactions(api_settings, events)
    known = recommended(client, 700)
    assert known["cold_start"] is False and item_ids(known) == [40, 50]
    nobody = recommended(client, 701)
    assert nobody["cold_start"] is True and item_ids(nobody) == [10, 20, 30, 40, 50]


def test_fold_in_reads_the_store_on_sqlite_and_postgresql(store_settings: Settings):
    store_interactions(
        store_settings, [interaction("s-1", 900, 10, "view"), interaction("s-2", 900, 20, "rating", 2.0)]
    )
    with open_client(create_app(store_settings)) as client:
        wait_ready(client)
        answer = recommended(client, 900)
    assert answer["cold_start"] is False and item_ids(answer) == [30, 40, 50]


def test_request_history_works_like_logged_interactions_without_storing(
    taste_client: TestClient, api_settings: Settings
):
    store_interactions(api_settings, [interaction(f"l-{item}", 600, item, "view") for item in COMEDY[:3]])
    logged = recommended(taste_client, 600)
    sent = recommended(taste_client, 601, history=COMEDY[:3])
    assert sent["cold_start"] is False and item_ids(sent) == item_ids(logged)
    assert [i["score"] for i in sent["items"]] == pytest.approx([i["score"] for i in logged["items"]])
    # The request is the newest word: an item it says the user liked outweighs their logged dismissal.
    store_interactions(api_settings, [interaction("d-204", 602, 204, "dismiss")])
    overruled = recommended(taste_client, 602, history=[201, 204])
    fresh = recommended(taste_client, 604, history=[201, 204])
    assert overruled["items"] == [{**item, "score": pytest.approx(item["score"])} for item in fresh["items"]]
    assert overruled["items"] != recommended(taste_client, 605, history=[201])["items"]
    outside = recommended(taste_client, 603, history=[999_999])  # not in the catalogue: ignored
    assert outside["cold_start"] is True and item_ids(outside)[:4] == ACTION
    store = open_store(api_settings.store_url)
    try:
        with store.session() as session:
            assert count_interactions_since(session, model="recsys", after_id=None) == 4  # only the logged
    finally:
        store.close()


def test_the_logged_prediction_counts_the_folded_history(client: TestClient, api_settings: Settings):
    store_interactions(
        api_settings, [interaction("p-1", 800, 10, "click"), interaction("p-2", 800, 20, "dismiss")]
    )
    answer = recommended(client, 800, history=[30, 40, 40])
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.predictions.wait_logged(answer["prediction_id"])
    store = open_store(api_settings.store_url)
    try:
        with store.session() as session:
            logged = get_prediction(session, prediction_id=answer["prediction_id"])
    finally:
        store.close()
    assert logged.input == {
        "user_id": 800,
        "k": 10,
        "exclude_seen": True,
        "folded_history": {"liked": 3, "turned_down": 1, "from_request": 2},
    }
    assert logged.output["items"] == item_ids(answer) == [50]


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([10, -1], "body.history.1: Input should be greater than or equal to 0"),
        ("10,20", "body.history: Input should be a valid list"),
        ({"item": 10}, "body.history: Input should be a valid list"),
        ([10] * 1001, "body.history: List should have at most 1000 items"),
        ([True], "body.history.0: Value error, must be a JSON integer, not a string or a boolean"),
        (["42"], "body.history.0: Value error, must be a JSON integer, not a string or a boolean"),
        ([1.5], "body.history.0: Input should be a valid integer"),
    ],
)
def test_bad_history_is_422_with_a_message(client: TestClient, history: Any, message: str):
    response = client.post("/v1/recommendations", json={"user_id": 1, "history": history})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_openapi_documents_history_and_the_answers(client: TestClient):
    openapi = client.get("/openapi.json").json()
    route = openapi["paths"]["/v1/recommendations"]["post"]
    assert {"200", "422", "503"} <= set(route["responses"])
    history = openapi["components"]["schemas"]["RecommendIn"]["properties"]["history"]
    assert "1,000" in history["description"] and "catalogue" in history["description"]
