"""Issue 13: an annotator labels only what the queue handed them; an item picked by id gets 403 with a
message, so two accounts cannot settle a chosen item between them."""

from __future__ import annotations

from closedloop.store import Store, read_training_labels
from tests.kernel.store.factories import SPAM
from tests.services.labeling.conftest import Login, csrf_of


def test_labelling_an_item_not_handed_out_is_refused(login: Login, queued: int, store: Store) -> None:
    alice, bob = login("alice"), login("bob")
    chosen = 3  # the least uncertain message: the queue hands out item 1 first
    for client in (alice, bob):
        headers = {"X-CSRF-Token": csrf_of(client)}
        answer = client.post(f"/label/api/items/{chosen}/label", json={"label": 0}, headers=headers)
        assert answer.status_code == 403
        assert "was not handed to" in answer.json()["detail"] and "/label/api/next" in answer.json()["detail"]
        assert client.post(f"/label/api/items/{chosen}/skip", headers=headers).status_code == 403
    with store.session() as session:
        assert read_training_labels(session, kind=SPAM).frame.empty  # nothing settled
    served = alice.get("/label/api/next").json()["item"]
    headers = {"X-CSRF-Token": csrf_of(alice)}
    answer = alice.post(f"/label/api/items/{served['id']}/label", json={"label": 1}, headers=headers)
    assert answer.status_code == 200, answer.text
