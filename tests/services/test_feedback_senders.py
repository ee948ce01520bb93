"""Votes weighed by who stands behind them: a trusted key's actors are voters, all actors under one untrusted
key are one light voter, keyless feedback weighs nothing. Sybil actors cannot outvote a trusted user."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from closedloop.kinds import kind
from closedloop.serving.keys import key_id
from closedloop.settings import Settings
from closedloop.store import derive_feedback_labels, open_store
from closedloop.store.tables import FeedbackEvent
from services.api import create_app
from tests.factories import CLIENT_KEY, write_api_keys
from tests.services.conftest import open_client, wait_ready

SYBIL_KEY = "untrusted-sybil-key"


def _report(client: TestClient, text: str, kind_: str, actors: int, prefix: str, **headers: str) -> None:
    pid = client.post("/v1/spam/predict", json={"text": text}).json()["prediction_id"]
    for i in range(actors):
        body = {"event_id": f"{prefix}-{text}-{i}", "prediction_id": pid, "kind": kind_, "actor": f"u{i}"}
        assert client.post("/v1/feedback", json=body, headers=headers).status_code == 202


def test_sybil_actors_under_one_untrusted_key_cannot_outvote_a_trusted_user(serving_home: Path):
    write_api_keys(serving_home, untrusted=(SYBIL_KEY,))
    settings = Settings(home=serving_home, allow_anonymous_writes=True, untrusted_vote_weight=0.5)
    with open_client(create_app(settings)) as client:
        wait_ready(client)
        # One trusted user says ham; 40 made-up actors under one untrusted key say spam.
        _report(client, "quarterly figures attached", "not_spam", 1, "trusted")
        _report(client, "quarterly figures attached", "report_spam", 40, "sybil", **{"X-API-Key": SYBIL_KEY})
        # Only the untrusted key speaks: one light voter, not enough for a label.
        _report(client, "lunch on friday", "report_spam", 40, "sybil", **{"X-API-Key": SYBIL_KEY})
        # No key at all (allowed here): stored, weighs nothing.
        client.headers.pop("X-API-Key")
        _report(client, "the build is green", "report_spam", 40, "anon")
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            senders = {(e.api_key_id, e.sender_trust) for e in session.scalars(select(FeedbackEvent))}
            derivation = derive_feedback_labels(session, kind=kind("spam"), trust="majority")
    finally:
        store.close()
    assert senders == {(key_id(CLIENT_KEY), "trusted"), (key_id(SYBIL_KEY), "untrusted"), (None, "anonymous")}
    assert all(SYBIL_KEY not in str(k) for k, _ in senders)  # the store holds key ids, never secrets
    [label] = derivation.written
    assert label.subject["text"] == "quarterly figures attached" and label.label == 0
    assert label.provenance["votes"] == {"0": 1, "1": 1} and label.agreement == 1 / 1.5
    # the lone untrusted key's subject is too light; the anonymous one has no voter at all
    assert derivation.too_light == 1 and derivation.disputed == ()
