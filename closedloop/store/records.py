"""What crosses the store's surface: validated inputs and immutable records, never ORM rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from closedloop.store.tables import NAME_LENGTH, utcnow

# A model kind's name, and a kind of feedback: which ones exist is the registered kinds' business (their
# `config.name` and `config.feedback_kinds`), checked where a write needs them, not by the schema.
KindName = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH)]
FeedbackKind = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH)]
LabelSource = Literal["user_feedback", "annotation", "adjudication", "gold", "corpus"]
Alias = Literal["champion", "challenger"]
SenderTrust = Literal["trusted", "untrusted", "anonymous"]

# Who outranks whom: a label is never replaced by one from a lower-ranked source.
SOURCE_RANK: dict[str, int] = {"corpus": 0, "user_feedback": 1, "annotation": 2, "adjudication": 3, "gold": 4}


# A feedback value is a small annotation (a rating, an item, a note), never a payload: a cap on its size and
# nesting keeps one client from storing megabytes of arbitrary JSON per event.
MAX_VALUE_BYTES = 4096
MAX_VALUE_DEPTH = 4


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


def check_value_size(value: Any) -> Any:
    """Reject a feedback `value` over MAX_VALUE_BYTES of compact JSON or nested over MAX_VALUE_DEPTH deep."""
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_VALUE_BYTES:
        raise ValueError(f"value is {size} bytes of JSON; at most {MAX_VALUE_BYTES} are accepted")
    if _depth(value) > MAX_VALUE_DEPTH:
        raise ValueError(f"value is nested deeper than {MAX_VALUE_DEPTH} levels of lists or objects")
    return value


FeedbackValue = Annotated[JsonValue, AfterValidator(check_value_size)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True, extra="forbid")


class PredictionRecord(_Record):
    """One served prediction. `id` is the public prediction_id the client sends feedback against."""

    id: str = Field(default_factory=lambda: uuid4().hex, min_length=1, max_length=64)
    model: KindName
    model_version: str = Field(min_length=1, max_length=64)
    input: dict[str, Any]  # what the kind's route logs of the request
    output: dict[str, Any]  # what it answered
    score: float | None = None
    shadow_version: str | None = None
    shadow_output: dict[str, Any] | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)


class FeedbackIn(_Record):
    """A user's feedback on a prediction. `event_id` is the client's idempotency key (retry with the same)."""

    event_id: str = Field(min_length=1, max_length=128)
    prediction_id: str = Field(min_length=1, max_length=64)
    kind: FeedbackKind  # one of the prediction's kind's `feedback_kinds`
    value: FeedbackValue = None  # its shape is the kind's to check (`ModelKind.check_feedback`)
    actor: str = Field(default="anonymous", min_length=1, max_length=128)
    received_at: AwareDatetime | None = None  # default: now; set only when replaying history
    # Who sent it: the API key's id and trust level (`anonymous`: no key). In-process writers (benchmarks,
    # imports) are the platform itself, hence trusted by default; the API always says.
    api_key_id: str | None = Field(default=None, max_length=32)
    sender_trust: SenderTrust = "trusted"

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
    api_key_id: str | None = None
    sender_trust: SenderTrust | None = None  # None: stored before senders were recorded


class LabelRecord(_Record):
    """A consensus label. `superseded_by` is None for the current label of its subject."""

    id: int
    model: str
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
