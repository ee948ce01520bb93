"""What crosses the store's surface: validated inputs and immutable records, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from closedloop.store.tables import utcnow

ModelName = Literal["spam", "recsys"]
FeedbackKind = Literal["report_spam", "not_spam", "click", "rating", "dismiss"]
LabelSource = Literal["user_feedback", "annotation", "adjudication", "gold", "corpus"]
Alias = Literal["champion", "challenger"]

# Who outranks whom: a label is never replaced by one from a lower-ranked source.
SOURCE_RANK: dict[str, int] = {"corpus": 0, "user_feedback": 1, "annotation": 2, "adjudication": 3, "gold": 4}
# Which feedback kinds make sense for which model's predictions.
KINDS_BY_MODEL: dict[str, frozenset[str]] = {
    "spam": frozenset({"report_spam", "not_spam"}),
    "recsys": frozenset({"click", "rating", "dismiss"}),
}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True, extra="forbid")


class PredictionRecord(_Record):
    """One served prediction. `id` is the public prediction_id the client sends feedback against."""

    id: str = Field(default_factory=lambda: uuid4().hex, min_length=1, max_length=64)
    model: ModelName
    model_version: str = Field(min_length=1, max_length=64)
    # spam: {"subject", "body", "text", "sender_domain"?}; recsys: {"user_id", "k"}
    input: dict[str, Any]
    # spam: {"spam_probability", "is_spam", "threshold"}; recsys: {"items", "scores", "cold_start"}
    output: dict[str, Any]
    score: float | None = None
    shadow_version: str | None = None
    shadow_output: dict[str, Any] | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)


class FeedbackIn(_Record):
    """A user's feedback on a prediction. `event_id` is the client's idempotency key (retry with the same)."""

    event_id: str = Field(min_length=1, max_length=128)
    prediction_id: str = Field(min_length=1, max_length=64)
    kind: FeedbackKind
    # click / dismiss: the item_id; rating: {"item_id": int, "rating": 1..5}; spam kinds: nothing
    value: JsonValue = None
    actor: str = Field(default="anonymous", min_length=1, max_length=128)
    received_at: AwareDatetime | None = None  # default: now; set only when replaying history

    def same_payload(self, other: FeedbackIn | FeedbackRecord) -> bool:
        """Whether `other` carries this payload; `received_at` is ignored (a retry arrives later)."""
        return (self.prediction_id, self.kind, self.value, self.actor) == (
            other.prediction_id,
            other.kind,
            other.value,
            other.actor,
        )


class FeedbackRecord(_Record):
    id: int  # the store's watermark: strictly increasing in insertion order
    event_id: str
    prediction_id: str
    kind: FeedbackKind
    value: JsonValue
    actor: str
    received_at: datetime


class LabelRecord(_Record):
    """A consensus label. `superseded_by` is None for the current label of its subject."""

    id: int
    model: ModelName
    subject_key: str
    prediction_id: str | None
    subject: dict[str, Any]
    label: int
    source: LabelSource
    agreement: float | None
    provenance: dict[str, Any]
    created_at: datetime
    superseded_by: int | None


class AliasMove(_Record):
    """One change of an MLflow alias; `to_version` None means the alias was removed."""

    id: int
    registered_model: str
    alias: Alias
    from_version: str | None
    to_version: str | None
    actor: str
    reason: str
    evidence: dict[str, Any]
    created_at: datetime
