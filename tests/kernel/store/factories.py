"""Small builders for store rows: every field has a sensible default; override what a test is about."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closedloop.kinds import ModelKind, kinds
from closedloop.store import FeedbackIn, FeedbackKind, InteractionIn, PredictionRecord, log_predictions
from closedloop.store.tables import Base

# The registered kinds, as the store's callers hand them in: by name, and the two that ship.
KINDS: dict[str, ModelKind] = {kind.name: kind for kind in kinds()}
SPAM, RECSYS = KINDS["spam"], KINDS["recsys"]


def spam_prediction(
    *, subject: str = "Cheap loans", body: str = "click here", **overrides: Any
) -> PredictionRecord:
    text = f"{subject}\n\n{body}"
    probability = overrides.pop("score", 0.8)
    fields: dict[str, Any] = {
        "model": "spam",
        "model_version": "3",
        "input": {"subject": subject, "body": body, "text": text, "sender_domain": "deals.example.biz"},
        "output": {"spam_probability": probability, "is_spam": probability >= 0.5, "threshold": 0.5},
        "score": probability,
    }
    return PredictionRecord(**(fields | overrides))


def recsys_prediction(
    *, user_id: int = 7, items: Sequence[int] = (10, 20, 30), **overrides: Any
) -> PredictionRecord:
    scores = [round(1.0 - 0.1 * rank, 3) for rank in range(len(items))]
    fields: dict[str, Any] = {
        "model": "recsys",
        "model_version": "5",
        "input": {"user_id": user_id, "k": len(items)},
        "output": {"items": list(items), "scores": scores, "cold_start": False},
    }
    return PredictionRecord(**(fields | overrides))


def logged(session: Session, *predictions: PredictionRecord) -> list[PredictionRecord]:
    """Log `predictions` (committed) and hand them back, for tests that need one to give feedback on."""
    log_predictions(session, rows=predictions)
    return list(predictions)


def feedback(
    prediction: PredictionRecord, *, kind: FeedbackKind | None = None, value: Any = None, **overrides: Any
) -> FeedbackIn:
    """Feedback on `prediction`: 'report_spam' for spam, a click on its first item for recsys, by default."""
    if kind is None:
        kind = "report_spam" if prediction.model == "spam" else "click"
    if value is None and kind in ("click", "dismiss"):
        value = prediction.output["items"][0]
    fields: dict[str, Any] = {"event_id": uuid.uuid4().hex, "actor": "alice", "prediction_id": prediction.id}
    return FeedbackIn(kind=kind, value=value, **(fields | overrides))


def interaction(**overrides: Any) -> InteractionIn:
    """A recsys view of item 10 by user 7 with a fresh event_id; a rating gets 4 stars unless told."""
    fields: dict[str, Any] = {"event_id": uuid.uuid4().hex, "model": "recsys", "user_id": 7, "item_id": 10}
    fields |= {"kind": "view", "actor": "alice"} | overrides
    if fields["kind"] == "rating":
        fields.setdefault("value", 4.0)
    return InteractionIn(**fields)


def count_rows(session: Session, table: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0
