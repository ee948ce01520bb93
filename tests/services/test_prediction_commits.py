"""A prediction id is committed before the client sees it: read back at once, from another connection,
every id of an answer is in the store (so a crash right after the answer cannot forget it; the SIGKILL test
in test_durability.py checks that with a real server)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from closedloop.settings import Settings
from closedloop.store import open_store


def stored_ids(settings: Settings) -> set[str]:
    store = open_store(settings.store_url)  # a connection of its own, as a restarted server would have
    try:
        with store.engine.connect() as connection:
            return set(connection.execute(text("SELECT id FROM predictions")).scalars().all())
    finally:
        store.close()


def test_returned_prediction_ids_are_committed(client: TestClient, api_settings: Settings):
    items = [{"text": f"message {i}"} for i in range(1000)]
    answer = client.post("/v1/spam/predict:batch", json={"items": items})
    ids = [p["prediction_id"] for p in answer.json()["predictions"]]
    stored = stored_ids(api_settings)
    assert len(ids) == 1000 and not [pid for pid in ids if pid not in stored]
    single = client.post("/v1/spam/predict", json={"text": "one more"}).json()["prediction_id"]
    assert single in stored_ids(api_settings)
