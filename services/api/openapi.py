"""The OpenAPI document, made to match every answer the API gives.

FastAPI documents a 422 as `{"detail": [ValidationError]}`, while the API answers every error as
`{"detail": "<message>"}` (a validation error adds `errors`, one entry per field; see `errors.py`). It leaves
out what the edge answers before a route runs: 400 for a body that is not UTF-8, 413 above the body limit,
401 / 403 without a valid key. This module rewrites the generated document once, so that each operation
lists every status it can answer, each with the body it really has.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

JSON = "application/json"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "What went wrong, for a person to read; a 500 adds the `request_id` found in the log.",
    "required": ["detail"],
    "properties": {"detail": {"type": "string"}, "request_id": {"type": "string"}},
}
VALIDATION_ERROR: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "description": "A refused request: `detail` says what is wrong; a body that does not fit its schema "
    "adds `errors`, one entry per field.",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
BODY_ANSWERS = {
    "400": "The body could not be read (it is not UTF-8 text), or its Content-Length is not a number.",
    "413": "The body is larger than the server's limit (`max_body_bytes`).",
    "422": "The request does not fit the schema, or its values are not acceptable; `detail` says why.",
}
KEY_ANSWERS = {
    "401": "The route needs an API key (`X-API-Key`) and none was sent.",
    "403": "The `X-API-Key` sent is not a key for this route.",
}


def install_openapi(app: FastAPI) -> None:
    """Serve the rewritten document at `app.openapi_url` (built on first request, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every operation's error answers documented as the API sends them."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    components["HTTPValidationError"] = VALIDATION_ERROR
    components.pop("ValidationError", None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            _document(operation)
    return schema


def _document(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    extra: dict[str, str] = {}
    if "requestBody" in operation:
        extra.update(BODY_ANSWERS)
    if any(p.get("in") == "header" and p.get("name") == "X-API-Key" for p in operation.get("parameters", [])):
        extra.update(KEY_ANSWERS)
    for status, description in extra.items():
        responses.setdefault(status, {"description": description})
    for status, answer in responses.items():
        if not status.startswith(("4", "5")):
            continue
        content = answer.setdefault("content", {})
        reference = {"$ref": "#/components/schemas/HTTPValidationError"} if status == "422" else ERROR_REF
        content.setdefault(JSON, {"schema": reference})
