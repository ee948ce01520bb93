"""The server-rendered pages: adjudication (hostile bodies shown as text, both labels, the decision becomes
the consensus label), agreement, user administration, export, and the dashboard's labeling panel."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from closedloop.labeling import list_users
from closedloop.store import Store, read_training_labels, upsert_consensus_label
from tests.kernel.store.factories import SPAM
from tests.services.labeling.conftest import (
    HOSTILE_BODY,
    MESSAGES,
    PASSWORD,
    Login,
    csrf_of,
    form_token,
    log_in,
)

DISPUTED = MESSAGES[2][0]  # "<b>Prize</b> inside", with the hostile body


def label_all(client: TestClient, labels: list[int]) -> None:
    headers = {"X-CSRF-Token": csrf_of(client)}
    for label in labels:
        item = client.get("/label/api/next").json()["item"]
        path = f"/label/api/items/{item['id']}/label"
        assert client.post(path, json={"label": label}, headers=headers).status_code == 200


def dispute_the_third(login: Login) -> TestClient:
    label_all(login("alice"), [1, 0, 1])
    label_all(login("bob"), [1, 0, 0])
    return login("carol")


def test_adjudication_shows_both_labels_and_the_body_as_text(login: Login, queued: int) -> None:
    carol = dispute_the_third(login)
    page = carol.get("/label/adjudicate")
    assert page.status_code == 200
    html = page.text
    assert "<script>document.title" not in html and "<img src=x" not in html and "<b>Prize</b>" not in html
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html
    assert "&lt;b&gt;Prize&lt;/b&gt; inside" in html and "Hi &amp; bye" in html
    assert "<strong>alice</strong>: spam" in html and "<strong>bob</strong>: ham" in html
    assert "script-src 'self'" in page.headers["content-security-policy"]  # no inline script could run
    assert html.count('class="card dispute"') == 1


def test_adjudicator_decision_becomes_the_consensus_label(login: Login, store: Store, queued: int) -> None:
    carol = dispute_the_third(login)
    item_id = int(carol.get("/label/adjudicate").text.split('data-item-id="')[1].split('"')[0])
    decided = carol.post(
        f"/label/adjudicate/{item_id}",
        data={"label": "1", "csrf_token": csrf_of(carol)},
        follow_redirects=False,
    )
    assert (
        decided.status_code == 303 and decided.headers["location"] == f"/label/adjudicate?decided={item_id}"
    )
    assert "No disputed items" in carol.get(decided.headers["location"]).text
    with store.session() as session:
        frame = read_training_labels(session, kind=SPAM).frame
    row = frame[frame["subject"] == DISPUTED].iloc[0]
    assert (row["label"], row["source"], row["body"]) == (1, "adjudication", HOSTILE_BODY)
    again = carol.post(f"/label/adjudicate/{item_id}", data={"label": "0", "csrf_token": csrf_of(carol)})
    assert again.status_code == 409 and "not awaiting adjudication" in again.text
    bad = carol.post(f"/label/adjudicate/{item_id}", data={"label": "9", "csrf_token": csrf_of(carol)})
    assert bad.status_code == 422


def test_agreement_page_and_dashboard_panel(login: Login, app_client: TestClient, queued: int) -> None:
    assert "labeling is not set up yet" not in app_client.get("/dashboard").text  # the queue holds items
    carol = dispute_the_third(login)
    page = carol.get("/label/agreement").text
    # alice and bob agreed on 2 of 3 binary labels: p_o = 2/3, p_e = (2/3)(1/3) + (1/3)(2/3) = 4/9,
    # kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4
    assert '<td>alice</td><td>bob</td><td class="num">3</td><td class="num">0.400</td>' in page
    assert "<dt>awaiting adjudication</dt><dd>1</dd>" in page
    summary = app_client.get("/dashboard/api/summary").json()
    spam = next(m for m in summary["models"] if m["key"] == "spam")["labeling"]
    assert spam["awaiting_adjudication"] == 1 and spam["queue_depth"] == 0
    (pair,) = spam["pairs"]
    # the public dashboard shows pseudonyms (account order); the names are on the agreement page above
    assert (pair["annotator_a"], pair["annotator_b"], pair["n_items"]) == ("annotator 1", "annotator 2", 3)
    assert pair["kappa"] == pytest.approx(0.4)
    dashboard = app_client.get("/dashboard").text
    assert "annotator 1 · annotator 2" in dashboard and "0.400" in dashboard and "alice" not in dashboard


def test_admin_adds_and_disables_users(login: Login, app_client: TestClient, store: Store) -> None:
    root = login("root")
    token = csrf_of(root)
    created = root.post(
        "/label/admin/users",
        data={"username": "dave", "password": PASSWORD, "role": "annotator", "csrf_token": token},
        follow_redirects=False,
    )
    assert created.status_code == 303
    taken = root.post(
        "/label/admin/users",
        data={"username": "dave", "password": PASSWORD, "role": "admin", "csrf_token": token},
    )
    assert taken.status_code == 409 and "already exists" in taken.text
    weak = root.post(
        "/label/admin/users",
        data={"username": "erin", "password": "short", "role": "admin", "csrf_token": token},
    )
    assert weak.status_code == 422 and "at least 8 characters" in weak.text
    odd_role = root.post(
        "/label/admin/users",
        data={"username": "erin", "password": PASSWORD, "role": "king", "csrf_token": token},
    )
    assert odd_role.status_code == 422
    assert log_in(app_client, "dave", PASSWORD).status_code == 303
    assert root.post("/label/admin/users/dave/disable", data={"csrf_token": token}).status_code == 200
    assert app_client.get("/label/api/next").status_code == 401  # dave's session ended with the account
    assert root.post("/label/admin/users/root/disable", data={"csrf_token": token}).status_code == 409
    assert root.post("/label/admin/users/nobody/disable", data={"csrf_token": token}).status_code == 404
    assert root.post("/label/admin/users/bad%00name/disable", data={"csrf_token": token}).status_code == 422
    with store.session() as session:
        users = {u.username: u for u in list_users(session)}
    assert users["dave"].disabled and not users["root"].disabled and "erin" not in users
    page = root.get("/label/admin/users").text
    assert '<tr data-username="dave">' in page and "disabled" in page
    assert form_token(page) == token


def test_export_with_provenance(login: Login, store: Store, queued: int) -> None:
    carol = dispute_the_third(login)
    with store.session() as session:
        upsert_consensus_label(
            session, kind=SPAM, subject={"text": "from a user report"}, label=1, source="user_feedback"
        )
    lines = carol.get("/label/export.jsonl?model=spam&human_only=true")
    assert lines.headers["content-type"] == "application/x-ndjson"
    assert 'filename="consensus-spam.jsonl"' in lines.headers["content-disposition"]
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert [(r["label"], r["source"]) for r in records] == [(1, "annotation"), (0, "annotation")]
    assert [a["user"] for a in records[0]["provenance"]["annotators"]] == ["alice", "bob"]
    rows = list(csv.DictReader(io.StringIO(carol.get("/label/export.csv").text)))
    assert [row["source"] for row in rows] == ["annotation", "annotation", "user_feedback"]
    assert [row["label_id"] for row in rows[:2]] == [str(r["label_id"]) for r in records]
    assert json.loads(rows[0]["provenance"]) == records[0]["provenance"]
    assert carol.get("/label/export.csv?model=movies").status_code == 422
