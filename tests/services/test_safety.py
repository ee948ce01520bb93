"""API keys, readiness before the models load, the catch-all 500, and CORS being closed by default."""

from __future__ import annotations

from pathlib import Path

from closedloop.settings import Settings
from services.api import create_app
from tests.factories import write_api_keys
from tests.services.conftest import open_client, wait_ready


def test_client_and_admin_keys_are_distinct(serving_home: Path):
    settings = Settings(home=serving_home, api_keys=["client-key"], admin_api_keys=["admin-key"])
    with open_client(create_app(settings), key=None) as client:
        wait_ready(client)
        body = {"text": "hello"}
        missing = client.post("/v1/spam/predict", json=body)
        assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
        assert client.post("/v1/spam/predict", json=body, headers={"X-API-Key": "nope"}).status_code == 403
        assert (
            client.post("/v1/spam/predict", json=body, headers={"X-API-Key": "client-key"}).status_code == 200
        )
        assert (
            client.post("/v1/spam/predict", json=body, headers={"X-API-Key": "admin-key"}).status_code == 403
        )
        assert client.post("/v1/admin/reload").status_code == 401
        assert client.post("/v1/admin/reload", headers={"X-API-Key": "client-key"}).status_code == 403
        assert client.post("/v1/admin/reload", headers={"X-API-Key": "admin-key"}).status_code == 200
        assert client.get("/readyz").status_code == 200  # probes need no key


def test_without_any_key_every_write_and_admin_route_refuses_and_says_how_to_make_one(serving_home: Path):
    """Secure by default: no key configured is no longer an open API with a warning in the log."""
    (serving_home / "api-keys.json").unlink()
    with open_client(create_app(Settings(home=serving_home)), key=None) as client:
        wait_ready(client)
        feedback = {"event_id": "e", "prediction_id": "p", "kind": "report_spam"}
        for path, body in [
            ("/v1/spam/predict", {"text": "hi"}),
            ("/v1/feedback", feedback),
            ("/v1/interactions", {"events": []}),
            ("/v1/admin/reload", None),
        ]:
            refused = client.post(path, json=body)
            assert refused.status_code == 401, (path, refused.text)
            detail = refused.json()["detail"]
            assert "closedloop keys create" in detail and "CLOSEDLOOP_ALLOW_ANONYMOUS_WRITES" in detail
        assert client.get("/readyz").status_code == 200 and client.get("/v1/models").status_code == 200
    opted_in = Settings(home=serving_home, allow_anonymous_writes=True)
    with open_client(create_app(opted_in), key=None) as client:
        wait_ready(client)
        assert client.post("/v1/spam/predict", json={"text": "hi"}).status_code == 200
        assert client.post("/v1/admin/reload").status_code == 200


def test_not_ready_without_any_model(tmp_path: Path):
    """No registry and no cache: the API runs, says 503 on /readyz, and 503 on predictions."""
    settings = Settings(home=tmp_path / "empty", mlflow_tracking_uri=f"sqlite:///{tmp_path}/missing/dir/m.db")
    write_api_keys(settings.home)
    with open_client(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["missing"] == ["spam", "recsys"]
        predicted = client.post("/v1/spam/predict", json={"text": "hi"})
        assert predicted.status_code == 503 and "no spam model" in predicted.json()["detail"]
        assert client.post("/v1/recommendations", json={"user_id": 1}).status_code == 503


def test_unexpected_errors_are_a_bare_500(serving_home: Path, caplog):
    app = create_app(Settings(home=serving_home))

    def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/explode", explode)
    with open_client(app) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "internal error" and len(body["request_id"]) == 32
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["request_id"] in caplog.text and "secret internals" in caplog.text


def test_cors_is_closed_by_default_and_opens_per_origin(serving_home: Path):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with open_client(create_app(Settings(home=serving_home))) as client:
        response = client.options("/v1/spam/predict", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    settings = Settings(home=serving_home, cors_origins=["https://app.example"])
    with open_client(create_app(settings)) as client:
        allowed = client.options("/v1/spam/predict", headers={**preflight, "Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        denied = client.options("/v1/spam/predict", headers=preflight)
        assert "access-control-allow-origin" not in denied.headers
