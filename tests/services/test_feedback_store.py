"""Feedback through the API into the store, on SQLite and on the real PostgreSQL; concurrent replays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from closedloop.settings import Settings
from closedloop.store import open_store, recent_predictions
from services.api import create_app
from tests.services.conftest import open_client, wait_ready


def test_feedback_round_trip_and_concurrent_replays(store_settings: Settings):
    with open_client(create_app(store_settings)) as client:
        wait_ready(client)
        pid = client.post("/v1/spam/predict", json={"text": "win a prize"}).json()["prediction_id"]
        event = {
            "event_id": "dup",
            "prediction_id": pid,
            "kind": "report_spam",
            "value": {"reason": "ads 📢"},
        }
        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(lambda _: client.post("/v1/feedback", json=event), range(48)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 47 + [202]
        assert len({r.json()["feedback_id"] for r in responses}) == 1
        conflict = client.post("/v1/feedback", json={**event, "value": None})
        assert conflict.status_code == 409
        unique = [{**event, "event_id": f"u{i}"} for i in range(40)]
        with ThreadPoolExecutor(8) as pool:
            assert {
                r.status_code for r in pool.map(lambda e: client.post("/v1/feedback", json=e), unique)
            } == {202}
    store = open_store(store_settings.store_url)
    with store.engine.connect() as connection:
        event_ids = connection.execute(text("SELECT event_id FROM feedback_events")).scalars().all()
    with store.session() as session:
        logged = recent_predictions(session, model="spam").set_index("prediction_id").loc[pid]
    store.close()
    assert sorted(event_ids) == sorted(["dup", *(f"u{i}" for i in range(40))])
    assert logged["feedback_count"] == 41 and logged["feedback_value"] == {"reason": "ads 📢"}
