"""The interaction routes: 202 once committed, 200 for a replay, 409 for a changed payload, a 422 that says
what is wrong (and, in a batch, which event), on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from closedloop.settings import Settings
from closedloop.store import count_interactions_since, open_store, read_interactions, user_history
from services.api import create_app
from tests.services.conftest import open_client, wait_ready

ROUTES = ("/v1/interactions", "/v1/interactions:batch")


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    """A view of item 10 (in the served catalogue: 10, 20, 30, 40, 50) by user 1."""
    return {"event_id": event_id, "user_id": 1, "item_id": 10, "kind": "view"} | fields


def stored_count(settings: Settings) -> int:
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            return count_interactions_since(session, model="recsys", after_id=None)
    finally:
        store.close()


def test_accept_replay_and_conflict(client: TestClient, api_settings: Settings):
    when = "2024-05-01T14:00:00+02:00"
    rating = event("r-1", kind="rating", value=4, occurred_at=when, prediction_id="p-1", actor="u1")
    first = client.post("/v1/interactions", json=rating)
    assert first.status_code == 202, first.text
    body = first.json()
    assert set(body) == {"interaction_id", "event_id", "received_at", "occurred_at"}
    assert body["event_id"] == "r-1" and body["occurred_at"] == "2024-05-01T12:00:00+00:00"
    replay = client.post("/v1/interactions", json=rating)
    assert replay.status_code == 200 and replay.json() == body
    conflict = client.post("/v1/interactions", json={**rating, "value": 5})
    assert conflict.status_code == 409 and "r-1" in conflict.json()["detail"]
    view = client.post("/v1/interactions", json=event("v-1", item_id=20))
    assert view.status_code == 202
    assert view.json()["occurred_at"] == view.json()["received_at"]  # no event time: when it was received
    store = open_store(api_settings.store_url)
    with store.session() as session:
        assert user_history(session, model="recsys", user_id=1) == [(10, "rating", 4.0), (20, "view", None)]
    store.close()


def test_invalid_events_are_422_with_a_message(client: TestClient, api_settings: Settings):
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = {
        "a rating needs a value from 1 to 5": event("e1", kind="rating"),
        "a view takes no value": event("e2", value=3),
        "unknown item 99": event("e3", item_id=99),
        "event time is in the future": event("e4", occurred_at=future),
        "body.occurred_at": event("e5", occurred_at="yesterday"),
        "timezone": event("e6", occurred_at="2024-05-01T12:00:00"),
        "ISO 8601": event("e7", occurred_at=1714564800),
        "body.user_id": event("e8", user_id=True),
        "body.item_id": event("e9", item_id=-1),
        "body.kind": event("e10", kind="like"),
        "NUL": event("e11", actor="a\u0000b"),
    }
    for message, body in cases.items():
        response = client.post("/v1/interactions", json=body)
        assert response.status_code == 422, (message, response.text)
        assert message in response.json()["detail"], (message, response.text)
        assert "Traceback" not in response.text
    assert stored_count(api_settings) == 0


def test_batch_is_all_or_nothing_and_names_the_bad_event(client: TestClient, api_settings: Settings):
    events = [event(f"b{i}", item_id=item) for i, item in enumerate((10, 20, 30))]
    unknown = client.post("/v1/interactions:batch", json={"events": [*events, event("b3", item_id=77)]})
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith(
        "body.events.3: unknown item 77"
    )
    invalid = client.post("/v1/interactions:batch", json={"events": [event("x", value=2), *events]})
    assert invalid.status_code == 422 and "body.events.0: a view takes no value" in invalid.json()["detail"]
    assert stored_count(api_settings) == 0

    first = client.post("/v1/interactions:batch", json={"events": events})
    assert first.status_code == 202, first.text
    answer = first.json()
    assert (answer["created"], answer["replayed"]) == (3, 0)
    assert [ack["event_id"] for ack in answer["interactions"]] == ["b0", "b1", "b2"]
    replay = client.post("/v1/interactions:batch", json={"events": events})
    assert replay.status_code == 200 and replay.json()["interactions"] == answer["interactions"]
    mixed = client.post("/v1/interactions:batch", json={"events": [events[0], event("b4")]})
    assert mixed.status_code == 202 and (mixed.json()["created"], mixed.json()["replayed"]) == (1, 1)
    conflict = client.post(
        "/v1/interactions:batch", json={"events": [event("b5"), {**events[1], "user_id": 2}]}
    )
    assert conflict.status_code == 409 and "'b1'" in conflict.json()["detail"]
    assert stored_count(api_settings) == 4  # b0..b2 and b4; the conflicting batch stored nothing (not b5)

    too_many = client.post("/v1/interactions:batch", json={"events": [event(f"m{i}") for i in range(1001)]})
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["detail"]
    assert client.post("/v1/interactions:batch", json={"events": []}).status_code == 422


def test_body_cap_and_client_keys_apply(serving_home):
    settings = Settings(home=serving_home, max_body_bytes=4096, api_keys=["client-key"])
    with open_client(create_app(settings), key=None) as client:
        wait_ready(client)
        key = {"X-API-Key": "client-key"}
        assert client.post("/v1/interactions", json=event("k")).status_code == 401
        assert client.post("/v1/interactions", json=event("k"), headers=key).status_code == 202
        big = {"events": [event(f"big-{i}") for i in range(100)]}
        too_big = client.post("/v1/interactions:batch", json=big, headers=key)
        assert too_big.status_code == 413 and "at most 4096 bytes" in too_big.json()["detail"]


def test_openapi_declares_the_answers_and_metrics_count(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for route in ROUTES:
        declared = set(paths[route]["post"]["responses"])
        assert {"200", "202", "409", "422", "503"} <= declared, (route, declared)
    client.post("/v1/interactions", json=event("m-1", kind="click"))
    client.post("/v1/interactions", json=event("m-1", kind="click"))
    client.post("/v1/interactions", json=event("m-2", item_id=12345))
    text = client.get("/metrics").text
    assert 'closedloop_interactions_total{kind="click",model="recsys",result="created"} 1.0' in text
    assert 'closedloop_interactions_total{kind="click",model="recsys",result="replayed"} 1.0' in text
    assert 'closedloop_interactions_rejected_total{reason="unknown_item"} 1.0' in text


def test_concurrent_replays_store_one_interaction(store_settings: Settings):
    with open_client(create_app(store_settings)) as client:
        wait_ready(client)
        rating = event("dup", kind="rating", value=3.5)
        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(lambda _: client.post("/v1/interactions", json=rating), range(48)))
        assert sorted(r.status_code for r in responses) == [200] * 47 + [202]
        assert len({r.json()["interaction_id"] for r in responses}) == 1
        batches = [{"events": [event(f"u{w}-{i}", user_id=w) for i in range(20)]} for w in range(8)]
        with ThreadPoolExecutor(8) as pool:
            statuses = {r.status_code for r in pool.map(lambda b: client.post(ROUTES[1], json=b), batches)}
        assert statuses == {202}
    store = open_store(store_settings.store_url)
    with store.session() as session:
        frame = read_interactions(session, model="recsys").frame
    store.close()
    assert len(frame) == 1 + 8 * 20 and frame["interaction_id"].is_unique
