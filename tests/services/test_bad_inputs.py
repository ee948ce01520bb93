"""Inputs the API refuses with a 422 and a message: blank messages, and ids or flags of the wrong JSON type
(no coercion of `"1"` or `true` into a number)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n\t "},
        {"subject": "", "body": ""},
        {"subject": " ", "body": "\n"},
        {"subject": ""},
    ],
)
def test_a_blank_message_is_refused(client: TestClient, body: dict[str, str]):
    response = client.post("/v1/spam/predict", json=body)
    assert response.status_code == 422, response.text
    assert "empty" in response.json()["detail"]
    batch = client.post("/v1/spam/predict:batch", json={"items": [{"text": "hello"}, body]})
    assert batch.status_code == 422 and "items.1" in batch.json()["detail"]


def test_a_message_with_some_text_is_scored(client: TestClient):
    assert client.post("/v1/spam/predict", json={"subject": "", "body": "hello"}).status_code == 200
    assert client.post("/v1/spam/predict", json={"subject": "hello", "body": ""}).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("user_id", "1"), ("user_id", True), ("user_id", 1.5), ("k", "5"), ("k", True), ("exclude_seen", 1)],
)
def test_recommendation_fields_are_not_coerced(client: TestClient, field: str, value: object):
    response = client.post("/v1/recommendations", json={"user_id": 1, field: value})
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
