"""The labeling UI on PostgreSQL: the same pages and JSON calls, a full round (two annotators, a dispute, an
adjudication, agreement, export), and input PostgreSQL refuses (a NUL byte) answered with a 4xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from closedloop.labeling import QueuePolicy, create_user, refill_queue
from closedloop.settings import Settings
from closedloop.store import open_store, read_training_labels
from services.api import create_app
from tests.kernel.store.factories import SPAM, logged, spam_prediction
from tests.postgres import create_pg_database, drop_pg_database
from tests.services.labeling.conftest import MESSAGES, PASSWORD, USERS, csrf_of, log_in

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(label_settings: Settings) -> Iterator[Settings]:
    url = create_pg_database("closedloop_label_ui")
    store = open_store(url)
    try:
        with store.session() as session:
            for name, role in USERS.items():
                create_user(session, username=name, password=PASSWORD, role=role)  # type: ignore[arg-type]
            logged(session, *(spam_prediction(subject=s, body=b, score=p) for s, b, p in MESSAGES))
            refill_queue(session, model="spam", policy=QueuePolicy(random_share=0.0))
        yield label_settings.model_copy(update={"database_url": url})
    finally:
        store.close()
        drop_pg_database(url)


def test_a_full_round_on_postgres(pg_settings: Settings) -> None:
    app = create_app(pg_settings)
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        assert log_in(anonymous, "ali\x00ce", PASSWORD).status_code == 401
        clients = {name: TestClient(app, raise_server_exceptions=False) for name in ("alice", "bob", "carol")}
        for name, client in clients.items():
            assert log_in(client, name, PASSWORD).status_code == 303
        for name, labels in (("alice", [1, 0, 1]), ("bob", [1, 0, 0])):
            client = clients[name]
            headers = {"X-CSRF-Token": csrf_of(client)}
            for label in labels:
                item = client.get("/label/api/next").json()["item"]
                saved = client.post(
                    f"/label/api/items/{item['id']}/label", json={"label": label}, headers=headers
                )
                assert saved.status_code == 200, saved.text
        carol = clients["carol"]
        page = carol.get("/label/adjudicate").text
        item_id = int(page.split('data-item-id="')[1].split('"')[0])
        decided = carol.post(
            f"/label/adjudicate/{item_id}", data={"label": "0", "csrf_token": csrf_of(carol)}
        )
        assert decided.status_code == 200 and "No disputed items" in decided.text
        assert "0.400" in carol.get("/label/agreement").text
        assert len(carol.get("/label/export.jsonl").text.splitlines()) == 3
    store = open_store(pg_settings.store_url)
    try:
        with store.session() as session:
            frame = read_training_labels(session, kind=SPAM).frame
    finally:
        store.close()
    assert sorted(frame["source"]) == ["adjudication", "annotation", "annotation"]
