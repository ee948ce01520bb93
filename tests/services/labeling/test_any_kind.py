"""The labeling UI knows no model by name: a registered kind it never heard of (`tests/kernel/store/tone.py`)
gets its task in the navigation, its answer keys on the page and its items shown by the default view; its
labels are checked against its own answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from closedloop.labeling import QueuePolicy, refill_queue
from closedloop.settings import Settings, get_settings
from closedloop.store import PredictionRecord, Store
from services.api import create_app
from tests.kernel.store.factories import logged
from tests.kernel.store.tone import KIND as TONE
from tests.kernel.store.tone import REFERENCE
from tests.services.labeling.conftest import PASSWORD, csrf_of, log_in


@pytest.fixture
def client(
    label_settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch, cheap_hashes: None
) -> Iterator[TestClient]:
    """Alice's client of an app that registers the tone kind, with one tone review queued."""
    monkeypatch.setenv("CLOSEDLOOP_KINDS", json.dumps([REFERENCE]))  # the kernel finds kinds by name
    get_settings.cache_clear()
    given = {"review_id": 7, "review": "<i>fine</i>"}
    with store.session() as session:
        logged(
            session,
            PredictionRecord(model=TONE.name, model_version="1", input=given, output={"positive": 0.5}),
        )
        assert refill_queue(session, model=TONE.name, policy=QueuePolicy(random_share=0.0)) == 1
    app = create_app(label_settings.model_copy(update={"kinds": [REFERENCE]}))
    with TestClient(app) as alice:
        assert log_in(alice, "alice", PASSWORD).status_code == 303
        yield alice
    get_settings.cache_clear()


def test_a_new_kind_on_the_workspace(client: TestClient) -> None:
    page = client.get("/label").text
    assert f'<a href="/label?model={TONE.name}" >tone</a>' in page  # the task's title (its name by default)
    assert f'data-model="{TONE.name}" data-question="tone"' in page
    assert 'data-label="1" data-key="p" data-caption="positive"><kbd>P</kbd> positive</button>' in page
    item = client.get(f"/label/api/next?model={TONE.name}").json()["item"]
    assert (item["model"], item["task"], item["subject"]) == (
        TONE.name,
        "tone",
        {"review_id": 7, "review": "<i>fine</i>"},
    )
    assert item["shown"]["fields"] == [["review_id", "7"], ["review", "<i>fine</i>"]]  # the default view
    path, headers = f"/label/api/items/{item['id']}/label", {"X-CSRF-Token": csrf_of(client)}
    wrong = client.post(path, json={"label": 2}, headers=headers)
    assert wrong.status_code == 422 and "0 (negative) or 1 (positive)" in wrong.json()["detail"]
    saved = client.post(path, json={"label": 1}, headers=headers).json()
    assert saved["prediction"] == {"label": 1, "name": "positive", "score": 0.5}
