"""What crosses the labeling kernel's surface: frozen records, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from closedloop.store import LabelRecord

Role = Literal["annotator", "adjudicator", "admin"]
Reason = Literal["uncertainty", "disagreement", "disputed", "random", "gold"]
ItemStatus = Literal["open", "disputed", "resolved"]
ROLES: tuple[Role, ...] = ("annotator", "adjudicator", "admin")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True, extra="ignore")


class UserRecord(_Record):
    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime


class ItemRecord(_Record):
    """An item as shown to an annotator: never other annotators' labels, never a gold item's answer.

    `model` is its kind, `task` the kind's labeling task; `subject` what the kind's `queue_items` (or
    `gold_item`) made of it, e.g. a message {"subject", "sender", "body"}, a movie {"user_id", "item_id",
    "title", "history"}.
    """

    id: int
    model: str
    task: str
    subject: dict[str, Any]
    reason: Reason
    priority: float
    model_score: float | None
    model_label: int | None
    status: ItemStatus
    prediction_id: str | None
    created_at: datetime


class CastLabel(_Record):
    username: str
    label: int
    at: datetime


class SubmitOutcome(_Record):
    """`waiting`: the item needs another label; `agreed`: consensus written; `disputed`: to adjudication.
    Gold items always answer `waiting` (they are scored, never turned into consensus labels)."""

    status: Literal["waiting", "agreed", "disputed"]
    consensus: LabelRecord | None = None


class DisputedItem(_Record):
    item: ItemRecord
    labels: list[CastLabel]


class PairAgreement(_Record):
    annotator_a: str
    annotator_b: str
    n_items: int
    kappa: float | None


class AnnotatorQuality(_Record):
    username: str
    n_labels: int
    gold_n: int
    gold_accuracy: float | None
    consensus_n: int
    consensus_accuracy: float | None


class AgreementSummary(_Record):
    pairs: list[PairAgreement]
    annotators: list[AnnotatorQuality]
    queue_depth: dict[str, int]
    awaiting_adjudication: int
    labels_last_hour: int
