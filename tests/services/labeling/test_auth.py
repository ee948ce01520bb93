"""Who may see what: anonymous users go to the login form (pages) or get 401 (JSON), annotators get 403 on
adjudication, agreement, export and admin routes, sessions end on logout and on disabling, and the cookies
are HttpOnly + SameSite=Strict."""

from __future__ import annotations

from fastapi.testclient import TestClient

from closedloop.labeling import set_disabled
from closedloop.settings import Settings
from closedloop.store import Store
from services.api import create_app
from tests.services.labeling.conftest import PASSWORD, Login, csrf_of, log_in

PAGES = ["/label", "/label/adjudicate", "/label/agreement", "/label/admin/users"]
ADJUDICATOR_ONLY = ["/label/adjudicate", "/label/agreement", "/label/export.jsonl", "/label/export.csv"]
ADMIN_ONLY = ["/label/admin/users"]


def test_anonymous_pages_redirect_to_login(app_client: TestClient) -> None:
    for path in PAGES:
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/label/login?next={path}"
    answer = app_client.get("/label?model=spam", follow_redirects=False)
    assert answer.headers["location"] == "/label/login?next=/label%3Fmodel%3Dspam"


def test_anonymous_form_post_goes_to_login_without_next(app_client: TestClient) -> None:
    answer = app_client.post("/label/adjudicate/1", data={"label": "1"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/label/login")


def test_anonymous_json_gets_401(app_client: TestClient) -> None:
    answer = app_client.get("/label/api/next")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "log in first at /label/login"}
    assert app_client.post("/label/api/undo").status_code == 401
    assert app_client.get("/label/export.jsonl", headers={"Accept": "application/json"}).status_code == 401


def test_annotator_gets_403_beyond_the_workspace(login: Login) -> None:
    alice = login("alice")
    for path in ADJUDICATOR_ONLY + ADMIN_ONLY:
        answer = alice.get(path)
        assert answer.status_code == 403, path
        assert "you are logged in as annotator" in answer.text
    assert alice.get("/label").status_code == 200


def test_annotator_cannot_post_to_adjudication_or_admin(login: Login) -> None:
    alice = login("alice")
    token = csrf_of(alice)
    assert alice.post("/label/adjudicate/1", data={"label": "1", "csrf_token": token}).status_code == 403
    new_user = {"username": "mallory", "password": PASSWORD, "role": "admin", "csrf_token": token}
    assert alice.post("/label/admin/users", data=new_user).status_code == 403
    assert alice.post("/label/admin/users/bob/disable", data={"csrf_token": token}).status_code == 403


def test_adjudicator_reaches_adjudication_but_not_admin(login: Login) -> None:
    carol = login("carol")
    for path in ADJUDICATOR_ONLY:
        assert carol.get(path).status_code == 200, path
    assert carol.get("/label/admin/users").status_code == 403


def test_wrong_password_is_refused_without_saying_which_part(app_client: TestClient) -> None:
    answer = log_in(app_client, "alice", "not the password")
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text
    assert log_in(app_client, "nobody", PASSWORD).status_code == 401
    assert log_in(app_client, "ali\x00ce", PASSWORD).status_code == 401
    assert log_in(app_client, "alice", "").status_code == 401
    assert app_client.get("/label/api/next").status_code == 401


def test_login_redirects_to_next_only_inside_the_ui(app_client: TestClient) -> None:
    assert (
        log_in(app_client, "alice", PASSWORD, next="/label/agreement").headers["location"]
        == "/label/agreement"
    )
    app_client.cookies.clear()
    for target in ("https://evil.example/", "//evil.example/label", "/dashboard"):
        answer = log_in(app_client, "alice", PASSWORD, next=target)
        assert answer.headers["location"] == "/label", target
        app_client.cookies.clear()


def test_cookies_are_httponly_and_strict(app_client: TestClient) -> None:
    login_form = app_client.get("/label/login").headers["set-cookie"]
    answer = log_in(app_client, "alice", PASSWORD)
    session = answer.headers["set-cookie"]
    for cookie in (login_form, session):
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/label" in cookie
        assert "Secure" not in cookie  # labeling_cookie_secure defaults to False (plain-HTTP local runs)


def test_secure_cookies_when_configured(label_settings: Settings, store: Store) -> None:
    secure = label_settings.model_copy(update={"labeling_cookie_secure": True})
    with TestClient(create_app(secure), base_url="https://testserver") as client:
        answer = log_in(client, "alice", PASSWORD)
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]


def test_logout_ends_the_session_on_the_server(login: Login) -> None:
    alice = login("alice")
    stolen = dict(alice.cookies)
    answer = alice.post("/label/logout", data={"csrf_token": csrf_of(alice)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/label/login"
    alice.cookies.update(stolen)  # replaying the old cookie does not bring the session back
    assert alice.get("/label/api/next").status_code == 401


def test_disabling_a_user_ends_their_sessions_at_once(login: Login, store: Store) -> None:
    bob = login("bob")
    assert bob.get("/label/api/next").status_code == 200
    with store.session() as session:
        set_disabled(session, username="bob", disabled=True)
    assert bob.get("/label/api/next").status_code == 401
    assert log_in(TestClient(bob.app), "bob", PASSWORD).status_code == 401
