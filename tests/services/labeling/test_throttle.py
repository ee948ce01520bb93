"""Login throttling (issue 13): failed logins are counted per account and per client; past the limit every
login — the right password too — gets 429 with Retry-After and a message, until the window has passed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.labeling.throttle import LoginThrottle, LoginThrottled
from tests.services.labeling.conftest import PASSWORD, log_in


def test_thirty_wrong_passwords_lock_the_account_from_the_sixth_on(app_client: TestClient) -> None:
    statuses = [log_in(app_client, "alice", f"wrong guess {i}").status_code for i in range(30)]
    assert statuses == [401] * 5 + [429] * 25
    refused = log_in(app_client, "alice", "wrong again")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert "too many failed logins for this account" in refused.text
    assert 'name="csrf_token"' in refused.text  # the login form again, with the reason on it
    right = log_in(app_client, "alice", PASSWORD)
    assert right.status_code == 429, "the right password during the lock-out must not be told apart"
    assert log_in(app_client, "bob", PASSWORD).status_code == 303  # another account is not locked


def test_one_client_guessing_many_accounts_is_locked_out(app_client: TestClient) -> None:
    statuses = [log_in(app_client, f"guess{i}", "not the password").status_code for i in range(21)]
    assert statuses == [401] * 20 + [429]
    answer = log_in(app_client, "alice", PASSWORD)
    assert answer.status_code == 429 and "for this client" in answer.text


def test_a_right_password_clears_the_accounts_failures(app_client: TestClient) -> None:
    for _ in range(4):
        assert log_in(app_client, "alice", "wrong guess").status_code == 401
    assert log_in(app_client, "alice", PASSWORD).status_code == 303
    fresh = TestClient(app_client.app, raise_server_exceptions=False)
    assert [log_in(fresh, "alice", "wrong").status_code for _ in range(6)] == [401] * 5 + [429]


def test_the_window_slides() -> None:
    now = [0.0]
    throttle = LoginThrottle(per_account=2, per_client=10, window_s=60, clock=lambda: now[0])
    throttle.begin(account="ann", client="c")
    now[0] = 30.0
    throttle.begin(account="ann", client="c")
    with pytest.raises(LoginThrottled) as refused:
        throttle.begin(account="ann", client="c")
    assert refused.value.retry_after == 30  # when the first failure leaves the window
    now[0] = 60.5
    throttle.begin(account="ann", client="c")  # the first failure has left the window
