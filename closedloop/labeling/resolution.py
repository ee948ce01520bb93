"""Turning an item's human labels into its consensus label, with provenance, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.labeling.records import CastLabel
from closedloop.labeling.tasks import kind_of
from closedloop.store import LabelRecord, LabelSource
from closedloop.store.consensus import put_label
from closedloop.store.tables import Annotation, LabelingItem, User, utcnow


def cast_labels(session: Session, *, item_id: int) -> list[CastLabel]:
    """The labels annotators gave an item, oldest first (for adjudicators and provenance only)."""
    rows = session.execute(
        select(User.username, Annotation.label, Annotation.created_at)
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.item_id == item_id, Annotation.kind == "label")
        .order_by(Annotation.id)
    )
    return [CastLabel(username=name, label=label, at=at) for name, label, at in rows]


def settle(
    session: Session,
    *,
    item: LabelingItem,
    label: int,
    source: LabelSource,
    labels: list[CastLabel],
    adjudicator: CastLabel | None = None,
) -> LabelRecord:
    """Write the consensus label of `item` (no commit) and mark the item resolved.

    `label` is an answer of the kind's task, stored as the task's consensus mapping says (relevance grades
    1-4 become 1 relevant / 0 not); agreement is the share of annotators whose label maps to the final one;
    the label's subject is what the kind's `label_subject` makes of the item's. Provenance: item, reason,
    task, annotators, adjudicator.
    """
    kind = kind_of(item.model)
    task = kind.config.task
    final = task.stored(label)
    agreeing = sum(task.stored(cast.label) == final for cast in labels)
    provenance: dict[str, Any] = {
        "item_id": item.id,
        "reason": item.reason,
        "task": item.task,
        "prediction_id": item.prediction_id,
        "annotators": [_cast(cast) for cast in labels],
    }
    if adjudicator is not None:
        provenance["adjudicator"] = _cast(adjudicator)
    record, _ = put_label(
        session,
        kind=kind,
        subject=kind.label_subject(item.subject),
        label=final,
        source=source,
        subject_key=item.subject_key,
        prediction_id=item.prediction_id,
        agreement=agreeing / len(labels) if labels else None,
        provenance=provenance,
    )
    # When a stronger label (gold) already holds the subject, the item still resolves, pointing at it.
    item.status, item.consensus_label, item.consensus_id = "resolved", record.label, record.id
    item.resolved_at = utcnow()
    session.flush()
    return record


def _cast(cast: CastLabel) -> dict[str, Any]:
    at: datetime = cast.at
    return {"user": cast.username, "label": cast.label, "at": at.isoformat()}
