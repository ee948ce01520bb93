"""The API's contract, route by route: answers, and every error a client can get (422, 404, 409, 413)."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from closedloop.settings import Settings
from closedloop.store import get_prediction, open_store
from tests.factories import ADMIN_KEY


def predict(client: TestClient, **body: object) -> dict:
    response = client.post("/v1/spam/predict", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_spam_predict_text_and_parts(client: TestClient):
    by_text = predict(client, text="free money click now")
    by_parts = predict(client, subject="Meeting notes", body="attached, see you 😀 שלום")
    for answer in (by_text, by_parts):
        assert set(answer) == {"prediction_id", "spam_probability", "is_spam", "threshold", "model_version"}
        assert answer["model_version"] == "1" and answer["threshold"] == 0.5
        assert answer["is_spam"] == (answer["spam_probability"] >= 0.5)
    assert by_text["spam_probability"] > by_parts["spam_probability"]


def test_spam_batch_gives_one_id_per_item(client: TestClient):
    items = [{"text": f"free money {i}"} for i in range(5)] + [{"subject": "s", "body": "b"}]
    response = client.post("/v1/spam/predict:batch", json={"items": items})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 6 and len({p["prediction_id"] for p in predictions}) == 6
    too_many = client.post("/v1/spam/predict:batch", json={"items": [{"text": "x"}] * 1001})
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["detail"]


def test_spam_input_errors_say_what_is_wrong(client: TestClient):
    both = client.post("/v1/spam/predict", json={"text": "a", "subject": "b"})
    assert both.status_code == 422 and "either `text`" in both.json()["detail"]
    assert client.post("/v1/spam/predict", json={}).status_code == 422
    long = client.post("/v1/spam/predict", json={"text": "x" * 201})
    assert long.status_code == 422
    assert long.json()["detail"] == "body.text: at most 200 characters are accepted, got 201"
    nul = client.post("/v1/spam/predict", json={"text": "a\u0000b"})
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    surrogate = client.post(
        "/v1/spam/predict", content=b'{"text": "\\ud800"}', headers={"content-type": "application/json"}
    )
    assert surrogate.status_code == 422 and "surrogate" in surrogate.json()["detail"]
    broken = client.post("/v1/spam/predict", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "JSON" in broken.json()["detail"]


def test_body_cap_is_413_with_a_json_message(serving_home, tmp_path):
    from services.api import create_app
    from tests.services.conftest import open_client

    settings = Settings(home=serving_home, max_body_bytes=2048)
    with open_client(create_app(settings)) as client:
        declared = client.post("/v1/spam/predict", json={"text": "x" * 5000})
        assert declared.status_code == 413 and "at most 2048 bytes" in declared.json()["detail"]
        # Chunked upload: no Content-Length, the cap applies while the body streams in.
        chunks = iter([b'{"text": "', b"x" * 1500, b"x" * 1500, b'"}'])
        streamed = client.post(
            "/v1/spam/predict", content=chunks, headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413 and "at most 2048 bytes" in streamed.json()["detail"]


def test_recommendations_known_and_cold_start_users(client: TestClient):
    known = client.post("/v1/recommendations", json={"user_id": 1, "k": 2})
    assert known.status_code == 200
    body = known.json()
    assert body["cold_start"] is False and body["model_version"] == "1"
    assert [i["item_id"] for i in body["items"]] == [30, 40]  # seen items 10 and 20 are excluded
    assert body["items"][0]["title"] == "Fargo"
    cold = client.post("/v1/recommendations", json={"user_id": 999, "k": 3}).json()
    assert cold["cold_start"] is True and [i["item_id"] for i in cold["items"]] == [10, 20, 30]
    assert client.post("/v1/recommendations", json={"user_id": 1, "k": 101}).status_code == 422


def test_feedback_accept_replay_conflict_and_errors(client: TestClient, api_settings: Settings):
    prediction_id = predict(client, text="cheap pills")["prediction_id"]
    event = {"event_id": "e-1", "prediction_id": prediction_id, "kind": "report_spam", "actor": "u1"}
    first = client.post("/v1/feedback", json=event)
    assert first.status_code == 202
    replay = client.post("/v1/feedback", json=event)
    assert replay.status_code == 200 and replay.json() == first.json()
    conflict = client.post("/v1/feedback", json={**event, "kind": "not_spam"})
    assert conflict.status_code == 409 and "e-1" in conflict.json()["detail"]
    unknown = client.post("/v1/feedback", json={**event, "event_id": "e-2", "prediction_id": "nope"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    wrong_kind = client.post("/v1/feedback", json={**event, "event_id": "e-3", "kind": "click", "value": 1})
    assert (
        wrong_kind.status_code == 422 and "does not apply to a spam prediction" in wrong_kind.json()["detail"]
    )
    bad_kind = client.post("/v1/feedback", json={**event, "event_id": "e-4", "kind": "like"})
    # feedback kinds are the kinds' (no enum in the schema): the store refuses one the prediction's kind lacks
    assert bad_kind.status_code == 422 and "'like' feedback does not apply" in bad_kind.json()["detail"]

    store = open_store(api_settings.store_url)
    with store.session() as session:
        assert get_prediction(session, prediction_id=prediction_id).input == {"text": "cheap pills"}
    store.close()


def test_recsys_feedback_must_be_about_a_recommended_item(client: TestClient):
    answer = client.post("/v1/recommendations", json={"user_id": 1, "k": 2}).json()
    pid = answer["prediction_id"]
    rating = {
        "event_id": "r-1",
        "prediction_id": pid,
        "kind": "rating",
        "value": {"item_id": 30, "rating": 5},
    }
    assert client.post("/v1/feedback", json=rating).status_code == 202
    other = client.post(
        "/v1/feedback", json={"event_id": "r-2", "prediction_id": pid, "kind": "click", "value": 10}
    )
    assert other.status_code == 422 and "was not recommended" in other.json()["detail"]


def test_feedback_right_after_prediction_never_404s(client: TestClient):
    """The prediction may still be queued for logging when its feedback arrives."""
    for i in range(100):
        pid = predict(client, text=f"message {i}")["prediction_id"]
        event = {"event_id": f"quick-{i}", "prediction_id": pid, "kind": "not_spam"}
        assert client.post("/v1/feedback", json=event).status_code == 202


def test_operations_routes(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    served = client.get("/v1/models").json()
    assert {(m["kind"], m["alias"], m["version"]) for m in served["models"]} == {
        ("spam", "champion", "1"),
        ("recsys", "champion", "1"),
    }
    assert served["worker_pid"] == os.getpid()  # the in-process test app: this process answered
    documented = client.get("/openapi.json").json()["components"]["schemas"]["ModelsOut"]["properties"]
    assert "worker" in documented["worker_pid"]["description"]
    assert client.post("/v1/admin/reload", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
    predict(client, text="hello")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'closedloop_predictions_total{model="spam",version="1"}' in text
    assert (
        'closedloop_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/v1/spam/predict"'
        in text
    )
    assert 'closedloop_prediction_log_dropped_total{reason="queue_full"} 0.0' in text
    assert (
        'closedloop_model_reloads_total{alias="champion",model="spam",result="success",version="1"}' in text
    )
    assert 'closedloop_served_model{alias="champion",model="recsys",version="1"} 1.0' in text
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/spam/predict:batch", "/v1/interactions", "/v1/interactions:batch"} <= set(paths)
