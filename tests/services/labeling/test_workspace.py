"""The annotator's JSON API: blind items (no selection reason, no other labels, no prediction until labelled),
two annotators → agreement or dispute, skip, undo, and clear 4xx answers to bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels
from services.api import create_app
from tests.kernel.store.factories import SPAM
from tests.services.labeling.conftest import HOSTILE_BODY, MESSAGES, PASSWORD, Login, csrf_of, log_in


def answer(client: TestClient, item_id: int, label: int) -> dict:
    response = client.post(
        f"/label/api/items/{item_id}/label", json={"label": label}, headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_items_are_blind_and_come_most_uncertain_first(login: Login, queued: int) -> None:
    alice = login("alice")
    first = alice.get("/label/api/next").json()
    assert first["queue_depth"] == queued == 3
    item = first["item"]
    assert set(item) == {"id", "model", "task", "subject", "shown"}  # no reason (gold!), no prediction
    assert item["subject"] == {
        "subject": MESSAGES[0][0],
        "sender": "deals.example.biz",
        "body": MESSAGES[0][1],
    }
    # how the page shows it: the kind's view, as text
    assert item["shown"]["fields"] == [["Subject", MESSAGES[0][0]], ["From", "deals.example.biz"]]
    assert item["shown"]["body"] == MESSAGES[0][1] and item["shown"]["title"] == ""
    revealed = answer(alice, item["id"], 1)
    assert revealed["prediction"] == {"label": 1, "name": "spam", "score": MESSAGES[0][2]}
    assert alice.get("/label/api/next").json()["item"]["subject"]["subject"] == MESSAGES[1][0]


def test_predictions_can_stay_hidden_after_labelling_too(
    label_settings: Settings, store: Store, queued: int
) -> None:
    hidden = label_settings.model_copy(update={"labeling_reveal_prediction": False})
    with TestClient(create_app(hidden)) as client:
        log_in(client, "alice", PASSWORD)
        item = client.get("/label/api/next").json()["item"]
        assert "prediction" not in item
        assert answer(client, item["id"], 0)["prediction"] is None
        assert 'data-reveal="false"' in client.get("/label").text


def test_two_annotators_agree_or_dispute_without_seeing_each_other(
    login: Login, store: Store, queued: int
) -> None:
    alice, bob = login("alice"), login("bob")
    for client, labels in ((alice, [1, 0, 1]), (bob, [1, 0, 0])):
        for label in labels:
            item = client.get("/label/api/next").json()["item"]
            reply = answer(client, item["id"], label)
            assert "alice" not in str(reply) and "bob" not in str(reply) and "status" not in reply
        assert client.get("/label/api/next").json()["item"] is None  # nobody gets an item twice
    with store.session() as session:
        labels = read_training_labels(session, kind=SPAM).frame
    assert sorted(zip(labels["subject"], labels["label"], strict=True)) == [
        (MESSAGES[0][0], 1),
        (MESSAGES[1][0], 0),
    ]  # the third is disputed: no consensus label until an adjudicator decides
    assert set(labels["source"]) == {"annotation"}


def test_skip_and_undo(login: Login, queued: int) -> None:
    alice = login("alice")
    token = {"X-CSRF-Token": csrf_of(alice)}
    first = alice.get("/label/api/next").json()["item"]
    assert alice.post(f"/label/api/items/{first['id']}/skip", headers=token).json() == {
        "item_id": first["id"],
        "skipped": True,
    }
    second = alice.get("/label/api/next").json()["item"]
    assert second["id"] != first["id"]
    answer(alice, second["id"], 0)
    undone = alice.post("/label/api/undo", headers=token).json()["item"]
    assert undone["id"] == second["id"]  # the label is withdrawn and the item comes back to relabel
    answer(alice, second["id"], 1)
    assert alice.post("/label/api/undo", headers=token).json()["item"]["id"] == second["id"]
    assert alice.post("/label/api/undo", headers=token).json()["item"]["id"] == first["id"]  # then the skip
    assert alice.post("/label/api/undo", headers=token).json() == {"item": None}


def test_bad_input_gets_a_clear_4xx(login: Login, queued: int) -> None:
    alice = login("alice")
    headers = {"X-CSRF-Token": csrf_of(alice)}
    item = alice.get("/label/api/next").json()["item"]
    cases = [
        (f"/label/api/items/{item['id']}/label", {"label": 3}, 422, "0 (ham) or 1 (spam)"),
        (f"/label/api/items/{item['id']}/label", {"label": "spam"}, 422, "label"),
        (f"/label/api/items/{item['id']}/label", {}, 422, "label"),
        ("/label/api/items/999999/label", {"label": 1}, 404, "no labeling item 999999"),
        ("/label/api/items/abc/label", {"label": 1}, 422, "item_id"),
        (f"/label/api/items/{2**64}/label", {"label": 1}, 422, "item_id"),
    ]
    for path, body, status, message in cases:
        response = alice.post(path, json=body, headers=headers)
        assert response.status_code == status, (path, body, response.text)
        assert message in response.json()["detail"], response.text
    answer(alice, item["id"], 1)
    again = alice.post(f"/label/api/items/{item['id']}/label", json={"label": 1}, headers=headers)
    assert again.status_code == 409 and "press U to undo" in again.json()["detail"]
    assert alice.get("/label/api/next?model=movies").status_code == 422


def test_hostile_body_travels_as_data(login: Login, queued: int) -> None:
    alice = login("alice")
    for _ in range(2):
        answer(alice, alice.get("/label/api/next").json()["item"]["id"], 1)
    response = alice.get("/label/api/next")
    assert response.headers["content-type"] == "application/json"
    item = response.json()["item"]
    assert item["subject"]["body"] == item["shown"]["body"] == HOSTILE_BODY  # label.js writes textContent
