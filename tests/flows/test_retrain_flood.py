"""One anonymous client cannot stop retraining: 2,000 one-sided `report_spam`s on ham messages, sent through
the real API, used to push the spam share past the snapshot's limit (every later retrain failed) and to make
the torch candidate fail the whole flow. Now the reports never become labels, a flood that does become labels
(a trusted application's) is bounded by the snapshot, and a candidate that cannot train is skipped."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from closedloop.settings import Settings
from closedloop.store import open_store
from closedloop.store.tables import ConsensusLabel, FeedbackEvent
from flows.retrain import retrain
from models.spam.corpus import message_text
from services.api import create_app
from tests.factories import CLIENT_KEY, synthetic_message, write_api_keys
from tests.flows.test_retrain import champion

pytestmark = pytest.mark.slow
FLOOD = 2000


def flood(settings: Settings, *, key: str | None) -> None:
    """FLOOD ham messages predicted, each reported as spam by a different made-up actor, under `key`."""
    rng = np.random.default_rng(11)
    items = [
        {"text": message_text(*synthetic_message(0, rng))} for _ in range(FLOOD)
    ]  # ham, as the corpus writes it
    headers = {"X-API-Key": key} if key else {}
    with TestClient(create_app(settings.model_copy(update={"reload_seconds": 3600})), headers=headers) as api:
        deadline = time.monotonic() + 60  # the champion loads in the background (no recommender here)
        while api.post("/v1/spam/predict", json=items[0]).status_code == 503:
            assert time.monotonic() < deadline, "the spam champion never loaded"
            time.sleep(0.1)
        ids = []
        for start in range(0, FLOOD, 1000):
            answer = api.post("/v1/spam/predict:batch", json={"items": items[start : start + 1000]})
            assert answer.status_code == 200, answer.text
            ids += [p["prediction_id"] for p in answer.json()["predictions"]]
        for i, pid in enumerate(ids):
            body = {"event_id": f"{key}-{i}", "prediction_id": pid, "kind": "report_spam", "actor": f"bot{i}"}
            assert api.post("/v1/feedback", json=body).status_code == 202


def count(settings: Settings, table: type, **where: str) -> int:
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            query = select(func.count()).select_from(table)
            for column, value in where.items():
                query = query.where(getattr(table, column) == value)
            return int(session.scalar(query) or 0)
    finally:
        store.close()


def test_a_flood_of_one_sided_reports_never_stops_the_retrain(spam_home: Settings):
    assert retrain(model="spam", reason="test").promoted

    # Anonymous (the deployment allows keyless calls): stored, but they never become labels.
    flood(spam_home.model_copy(update={"allow_anonymous_writes": True}), key=None)
    after_anonymous = retrain(model="spam", reason="test", candidates=["baseline", "torch"])
    assert not after_anonymous.promoted and champion(spam_home) == "1"
    assert count(spam_home, FeedbackEvent, sender_trust="anonymous") == FLOOD
    assert count(spam_home, ConsensusLabel, source="user_feedback") == 0

    # The same flood under a trusted application's key does become labels: the snapshot bounds their share
    # instead of refusing, a candidate that cannot train on them is skipped, and the gate refuses the rest.
    write_api_keys(spam_home.home)
    flood(spam_home, key=CLIENT_KEY)
    trusted = retrain(model="spam", reason="test", candidates=["baseline", "torch"])
    assert count(spam_home, ConsensusLabel, source="user_feedback") == FLOOD
    assert not trusted.promoted and champion(spam_home) == "1", trusted.reason
    assert trusted.version != "" and trusted.evidence["rule"] != "no_candidate"
    print(f"after a trusted flood: {trusted.reason}; failed candidates: {trusted.failed}")
