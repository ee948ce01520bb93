"""Request and response bodies of the API's own routes (feedback, interactions, operations); each kind's
prediction bodies live with the kind (`closedloop.kinds.<kind>.schemas`). Strings must be valid Unicode
without NUL (`closedloop.serving.bodies`)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, JsonValue

from closedloop.serving import MAX_BATCH, MAX_JSON_ID, JsonInt, RequestBody, Text, check_text
from closedloop.store import FeedbackKind, InteractionKind
from closedloop.store.interactions import EventTime
from closedloop.store.records import check_value_size


def check_json(value: Any) -> Any:
    """Every string inside `value` passes `check_text`; numbers are finite (JSON has no NaN)."""
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_json(item)
    elif isinstance(value, list):
        for item in value:
            check_json(item)
    return value


class FeedbackBody(RequestBody):
    """Feedback on a prediction; `event_id` is your idempotency key: retry with the same one."""

    event_id: Text = Field(min_length=1, max_length=128)
    prediction_id: Text = Field(min_length=1, max_length=64)
    kind: FeedbackKind
    value: Annotated[JsonValue, AfterValidator(check_json), AfterValidator(check_value_size)] = Field(
        default=None, description="The kind's value: at most 4 KB of compact JSON, nested at most 4 deep."
    )
    actor: Text = Field(default="anonymous", min_length=1, max_length=128)


class FeedbackAck(BaseModel):
    feedback_id: int
    event_id: str
    prediction_id: str
    kind: str
    received_at: str


class ServedModelOut(BaseModel):
    kind: str = Field(description="The model kind it serves (see the routes of each kind).")
    name: str
    alias: str
    version: str
    source: str


class ModelsOut(BaseModel):
    models: list[ServedModelOut]
    shadow_share: float
    worker_pid: int = Field(
        description="The process id of the API worker that answered. Under `closedloop serve --workers N` "
        "each worker loads and reloads its models on its own; this says which one these versions are from."
    )


# Interactions: a separate log from feedback; an interaction need not follow a prediction.


def check_iso_time(value: Any) -> Any:
    """Only an ISO 8601 string (or nothing) is an event time here; a bare number's unit would be a guess."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string with a UTC offset, e.g. 2024-05-01T12:00:00Z")
    return value


class InteractionBody(RequestBody):
    """A user's interaction with an item; `event_id` is your idempotency key: retry with the same one."""

    event_id: Text = Field(min_length=1, max_length=128)
    model: Text | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The model kind that learns from it; may be left out while only one kind does.",
    )
    # a JSON integer, not `true` or "42" (which would be stored as ids 1 and 42)
    user_id: JsonInt = Field(ge=0, le=MAX_JSON_ID)
    item_id: JsonInt = Field(ge=0, le=MAX_JSON_ID)
    kind: InteractionKind
    value: float | None = Field(
        default=None, strict=True, allow_inf_nan=False, description="The stars of a rating (1-5); none else."
    )
    occurred_at: Annotated[EventTime | None, BeforeValidator(check_iso_time)] = Field(
        default=None, description="When it happened (ISO 8601 with offset); default: when it is received."
    )
    prediction_id: Text | None = Field(
        default=None, min_length=1, max_length=64, description="The prediction that led to it, if any."
    )
    actor: Text = Field(default="anonymous", min_length=1, max_length=128)


class InteractionBatchIn(RequestBody):
    events: list[InteractionBody] = Field(min_length=1, max_length=MAX_BATCH)


class InteractionAck(BaseModel):
    interaction_id: int
    event_id: str
    received_at: str
    occurred_at: str


class InteractionBatchAck(BaseModel):
    interactions: list[InteractionAck]  # in the order of the request's events
    created: int
    replayed: int
