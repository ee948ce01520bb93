"""A feedback `value` is a small annotation: one over 4 KB of JSON, or nested too deep, is a 422 and nothing
is stored (a probe stored 900 KB of arbitrary JSON as one `report_spam`)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from closedloop.settings import Settings
from closedloop.store import open_store


def _stored_events(settings: Settings) -> list[str]:
    store = open_store(settings.store_url)
    try:
        with store.engine.connect() as connection:
            return list(connection.execute(text("SELECT event_id FROM feedback_events")).scalars())
    finally:
        store.close()


def test_an_oversized_or_deep_feedback_value_is_refused_and_not_stored(
    client: TestClient, api_settings: Settings
):
    pid = client.post("/v1/spam/predict", json={"text": "win a prize"}).json()["prediction_id"]
    event = {"prediction_id": pid, "kind": "report_spam"}
    huge = client.post("/v1/feedback", json={**event, "event_id": "huge", "value": {"junk": [7] * 450_000}})
    assert huge.status_code == 422, huge.text
    assert "at most 4096" in huge.text
    nested: object = 1
    for _ in range(10):
        nested = [nested]
    deep = client.post("/v1/feedback", json={**event, "event_id": "deep", "value": nested})
    assert deep.status_code == 422 and "nested deeper" in deep.text
    fine = client.post("/v1/feedback", json={**event, "event_id": "fine", "value": {"reason": "ads"}})
    assert fine.status_code == 202, fine.text
    assert _stored_events(api_settings) == ["fine"]
