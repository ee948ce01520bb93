"""The API serves the registered kinds, and only them: the routes mounted are exactly those the kinds
declare, a kind registered by configuration adds its own (documented, answering through the serving
context), readiness waits for every kind, and interactions name their kind when more than one learns."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from closedloop.kinds import kinds
from closedloop.settings import Settings
from services.api import create_app
from tests.services.conftest import open_client
from tests.services.extra_kinds import ECHO, TASTE


def paths(app: FastAPI) -> set[str]:
    """The paths the app serves, as its OpenAPI document lists them."""
    return set(app.openapi()["paths"])


def tagged(app: FastAPI, tag: str) -> set[str]:
    """The paths of the operations tagged `tag` (a kind's routes carry its title)."""
    documented = app.openapi()["paths"].items()
    return {
        path for path, operations in documented for op in operations.values() if tag in op.get("tags", [])
    }


def wait_missing(client: TestClient, expected: list[str], timeout: float = 60.0) -> None:
    """Wait until the champions of every kind but `expected` are loaded."""
    deadline = time.monotonic() + timeout
    while (ready := client.get("/readyz").json()).get("missing") != expected:
        assert time.monotonic() < deadline, f"still missing {ready}"
        time.sleep(0.05)


def test_the_routes_mounted_are_those_the_kinds_declare(serving_home: Path):
    plain = create_app(Settings(home=serving_home))
    for kind in kinds(()):
        declared = {f"/v1{route.path}" for route in kind.routes()}
        assert declared and tagged(plain, kind.config.title) == declared
    extended = create_app(Settings(home=serving_home, kinds=[ECHO]))
    assert paths(extended) - paths(plain) == {"/v1/echo"} and paths(plain) <= paths(extended)
    assert tagged(extended, "Echo") == {"/v1/echo"}


def test_a_registered_kind_serves_its_route_through_the_context(serving_home: Path):
    with open_client(create_app(Settings(home=serving_home, kinds=[ECHO]))) as client:
        wait_missing(client, ["echo"])  # readiness needs every kind's champion, the echo one too
        assert client.get("/readyz").status_code == 503
        refused = client.post("/v1/echo", json={"text": ""})
        assert refused.status_code == 422 and refused.json() == {"detail": "body.text: give a text to echo"}
        unloaded = client.post("/v1/echo", json={"text": "hello"})
        assert unloaded.status_code == 503 and unloaded.headers["Retry-After"] == "5"
        assert unloaded.json()["detail"] == "no echo model is loaded yet; retry shortly"
        assert client.post("/v1/echo", json={"text": "hello", "extra": 1}).status_code == 422
        assert client.post("/v1/spam/predict", json={"text": "free money"}).status_code == 200
        assert {m["kind"] for m in client.get("/v1/models").json()["models"]} == {"spam", "recsys"}
        operation = client.get("/openapi.json").json()["paths"]["/v1/echo"]["post"]
    assert operation["summary"] == "Echo a text back, once the echo model is loaded."
    assert operation["description"] == "An empty text is refused."
    assert operation["tags"] == ["Echo"]
    assert {"200", "422", "503"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EchoIn"}


def test_interactions_name_their_kind_when_more_than_one_learns(serving_home: Path):
    view = {"event_id": "v-1", "user_id": 1, "item_id": 10, "kind": "view"}
    with open_client(create_app(Settings(home=serving_home, kinds=[TASTE]))) as client:
        wait_missing(client, ["taste"])
        ambiguous = client.post("/v1/interactions", json=view)
        assert ambiguous.status_code == 422
        assert (
            ambiguous.json()["detail"]
            == "model: name the model this interaction is for, one of: recsys, taste"
        )
        batch = client.post("/v1/interactions:batch", json={"events": [{**view, "model": "spam"}]})
        assert batch.status_code == 422 and batch.json()["detail"] == (
            "body.events.0: model: 'spam' does not learn from interactions; one of: recsys, taste"
        )
        assert client.post("/v1/interactions", json={**view, "model": "taste"}).status_code == 503
        assert client.post("/v1/interactions", json={**view, "model": "recsys"}).status_code == 202


def test_the_only_interaction_kind_is_the_default(client: TestClient):
    view = {"event_id": "v-2", "user_id": 1, "item_id": 10, "kind": "view"}
    assert client.post("/v1/interactions", json=view).status_code == 202
    named = client.post("/v1/interactions", json={**view, "event_id": "v-3", "model": "recsys"})
    assert named.status_code == 202
    wrong = client.post("/v1/interactions", json={**view, "event_id": "v-4", "model": "spam"})
    assert wrong.status_code == 422 and "one of: recsys" in wrong.json()["detail"]
