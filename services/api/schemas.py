"""Request and response bodies. Strings must be valid Unicode without NUL: PostgreSQL cannot store U+0000 in
JSON or text, and no real message needs it, so it is rejected (422) rather than silently stripped."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, model_validator

from closedloop.store import FeedbackKind, InteractionKind
from closedloop.store.interactions import MAX_ID, EventTime

MAX_BATCH = 1_000


def check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (it contains a lone surrogate)") from None
    return value


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


Text = Annotated[str, AfterValidator(check_text)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpamIn(_Body):
    """A message: either `text`, or `subject` and `body` (joined and PII-redacted exactly as in training)."""

    text: Text | None = None
    subject: Text | None = None
    body: Text | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SpamIn:
        parts = self.subject is not None or self.body is not None
        if (self.text is None) == (not parts):
            raise ValueError("give either `text`, or `subject` and `body` (not both forms, not neither)")
        return self


class SpamBatchIn(_Body):
    items: list[SpamIn] = Field(min_length=1, max_length=MAX_BATCH)


class SpamOut(BaseModel):
    prediction_id: str
    spam_probability: float
    is_spam: bool
    threshold: float
    model_version: str


class SpamBatchOut(BaseModel):
    predictions: list[SpamOut]
    model_version: str


MAX_HISTORY = 1_000
# strict: a JSON integer, not `true` or "42" (which would count as items 1 and 42)
ItemId = Annotated[int, Field(ge=0, le=MAX_ID, strict=True)]


class RecommendIn(_Body):
    """Whom to recommend for, how many items, and what the client knows they liked that is not logged yet."""

    user_id: int = Field(ge=0, le=2**63 - 1)
    k: int = Field(default=10, ge=1, le=100)
    exclude_seen: bool = Field(
        default=True, description="Leave out every item the user has seen: in training, logged, or sent."
    )
    history: list[ItemId] | None = Field(
        default=None,
        max_length=MAX_HISTORY,
        description=(
            "Item ids the user liked that the interaction log may not hold yet (e.g. in this session), at "
            "most 1,000. They rank like logged positives and are never recommended back, and a liked item "
            "here outweighs a logged dismissal of it. Nothing is stored. Ids outside the served catalogue "
            "are ignored (the model has nothing to say about them)."
        ),
    )


class RecommendedItem(BaseModel):
    item_id: int
    title: str | None
    score: float


class RecommendOut(BaseModel):
    prediction_id: str
    items: list[RecommendedItem]
    model_version: str
    cold_start: bool = Field(
        description="Nothing the user liked was known (no interactions, or only dismissals, low ratings or "
        "items outside the catalogue), so the most popular items were served."
    )


class FeedbackBody(_Body):
    """Feedback on a prediction; `event_id` is your idempotency key: retry with the same one."""

    event_id: Text = Field(min_length=1, max_length=128)
    prediction_id: Text = Field(min_length=1, max_length=64)
    kind: FeedbackKind
    value: Annotated[JsonValue, AfterValidator(check_json)] = None
    actor: Text = Field(default="anonymous", min_length=1, max_length=128)


class FeedbackAck(BaseModel):
    feedback_id: int
    event_id: str
    prediction_id: str
    kind: str
    received_at: str


class ServedModelOut(BaseModel):
    kind: Literal["spam", "recsys"]
    name: str
    alias: str
    version: str
    source: str


class ModelsOut(BaseModel):
    models: list[ServedModelOut]
    shadow_share: float


# Interactions: a separate log from feedback; an interaction need not follow a recommendation.


def check_iso_time(value: Any) -> Any:
    """Only an ISO 8601 string (or nothing) is an event time here; a bare number's unit would be a guess."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string with a UTC offset, e.g. 2024-05-01T12:00:00Z")
    return value


class InteractionBody(_Body):
    """A user's interaction with an item; `event_id` is your idempotency key: retry with the same one."""

    event_id: Text = Field(min_length=1, max_length=128)
    # strict: a JSON integer, not `true` or "42" (which would be stored as ids 1 and 42)
    user_id: int = Field(ge=0, le=MAX_ID, strict=True)
    item_id: int = Field(ge=0, le=MAX_ID, strict=True)
    kind: InteractionKind
    value: float | None = Field(
        default=None, strict=True, allow_inf_nan=False, description="The stars of a rating (1-5); none else."
    )
    occurred_at: Annotated[EventTime | None, BeforeValidator(check_iso_time)] = Field(
        default=None, description="When it happened (ISO 8601 with offset); default: when it is received."
    )
    prediction_id: Text | None = Field(
        default=None, min_length=1, max_length=64, description="The recommendation that led to it, if any."
    )
    actor: Text = Field(default="anonymous", min_length=1, max_length=128)


class InteractionBatchIn(_Body):
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
