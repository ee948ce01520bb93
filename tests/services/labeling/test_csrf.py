"""CSRF: every state-changing route needs the session's own token (form field or header); without it, or
with a token of another session, the request is refused with 403 and nothing changes."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from closedloop.labeling import list_users
from closedloop.store import Store
from services.labeling import ROUTERS
from services.labeling.deps import check_csrf
from tests.services.labeling.conftest import PASSWORD, Login, csrf_of, form_token

FORMS = [
    ("carol", "/label/logout", {}),
    ("carol", "/label/adjudicate/1", {"label": "1"}),
    ("root", "/label/admin/users", {"username": "mallory", "password": PASSWORD, "role": "admin"}),
    ("root", "/label/admin/users/bob/disable", {}),
]


def test_forms_without_token_are_rejected(login: Login, store: Store) -> None:
    clients = {"carol": login("carol"), "root": login("root")}
    for user, path, data in FORMS:
        answer = clients[user].post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "CSRF token" in answer.text
    with store.session() as session:
        users = {u.username: u for u in list_users(session)}
    assert "mallory" not in users and not users["bob"].disabled
    assert clients["carol"].get("/label/api/next").status_code == 200  # the logout was refused too


def test_token_of_another_session_is_rejected(login: Login) -> None:
    root, carol = login("root"), login("carol")
    foreign = csrf_of(carol)
    data = {"username": "mallory", "password": PASSWORD, "role": "admin", "csrf_token": foreign}
    assert root.post("/label/admin/users", data=data).status_code == 403
    data["csrf_token"] = csrf_of(root)
    assert root.post("/label/admin/users", data=data, follow_redirects=False).status_code == 303


def test_json_calls_need_the_header(login: Login, queued: int) -> None:
    alice = login("alice")
    item = alice.get("/label/api/next").json()["item"]
    path = f"/label/api/items/{item['id']}/label"
    assert alice.post(path, json={"label": 1}).status_code == 403
    assert alice.post(path, json={"label": 1}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert alice.post("/label/api/undo").status_code == 403
    ok = alice.post(path, json={"label": 1}, headers={"X-CSRF-Token": csrf_of(alice)})
    assert ok.status_code == 200, ok.text


def test_login_form_needs_its_own_token(app_client: TestClient) -> None:
    token = form_token(app_client.get("/label/login").text)
    data = {"username": "alice", "password": PASSWORD}
    assert app_client.post("/label/login", data=data).status_code == 403
    assert app_client.post("/label/login", data={**data, "csrf_token": "guess"}).status_code == 403
    app_client.cookies.clear()  # a cross-site form cannot send the token's cookie along
    assert app_client.post("/label/login", data={**data, "csrf_token": token}).status_code == 403


def test_every_state_changing_route_checks_the_token() -> None:
    """A guard for routes added later: each POST under /label depends on `check_csrf` (login has its own)."""
    posts = [
        r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute) and "POST" in r.methods
    ]
    assert len(posts) == 10
    for route in posts:
        calls = {dependency.call for dependency in route.dependant.dependencies}
        assert (check_csrf in calls) != (route.path == "/label/login"), route.path
