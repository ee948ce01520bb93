"""The snapshot contract: the labels a retrain trains on, up to a watermark, reproducibly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from closedloop.store.tables import ConsensusLabel

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

# After the subject's columns (the kind's `label_columns`), every label frame has these.
LABEL_COLUMNS = {"label": "int64", "source": "object", "label_id": "int64", "created_at": "object"}


class Watermark(TypedDict):
    last_label_id: int | None  # pass it back as `upto_id` to read the same snapshot again
    last_label_at: str | None  # ISO 8601, UTC
    count: int


@dataclass(frozen=True)
class LabelSnapshot:
    model: str
    frame: pd.DataFrame  # one row per subject, ordered by label_id; the kind's label_columns + LABEL_COLUMNS
    watermark: Watermark


def read_training_labels(session: Session, *, kind: ModelKind, upto_id: int | None = None) -> LabelSnapshot:
    """The current label of every subject of `kind` as of label id `upto_id` (default: now).

    Labels written after the watermark, and supersessions written after it, are invisible, so reading again
    with `upto_id=snapshot.watermark["last_label_id"]` returns the same rows even after new labels arrive
    (label writers are serialised, so no label can later appear below a watermark already read).
    """
    model = kind.name
    query = select(ConsensusLabel).where(ConsensusLabel.model == model)
    if upto_id is None:
        query = query.where(ConsensusLabel.superseded_by.is_(None))
    else:
        current_then = or_(ConsensusLabel.superseded_by.is_(None), ConsensusLabel.superseded_by > upto_id)
        query = query.where(ConsensusLabel.id <= upto_id, current_then)
    rows = list(session.scalars(query.order_by(ConsensusLabel.id)))
    dtypes = kind.label_columns() | LABEL_COLUMNS
    records = [_flatten(row, subject_columns=list(kind.label_columns())) for row in rows]
    frame = pd.DataFrame(records, columns=list(dtypes))
    frame = frame.astype({name: dtype for name, dtype in dtypes.items() if name != "created_at"})
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    last = rows[-1] if rows else None
    watermark = Watermark(
        last_label_id=last.id if last else None,
        last_label_at=last.created_at.isoformat() if last else None,
        count=len(rows),
    )
    return LabelSnapshot(model=model, frame=frame, watermark=watermark)


def _flatten(row: ConsensusLabel, *, subject_columns: list[str]) -> tuple[object, ...]:
    subject = [
        row.subject_key if name == "subject_key" else row.subject.get(name) for name in subject_columns
    ]
    return (*subject, row.label, row.source, row.id, row.created_at)


def count_labels_since(session: Session, *, model: str, after_id: int | None) -> int:
    """Current labels of `model` written after label id `after_id` (all of them when None): the fuel gauge
    that decides whether enough new labels arrived to retrain."""
    query = (
        select(func.count())
        .select_from(ConsensusLabel)
        .where(ConsensusLabel.model == model, ConsensusLabel.superseded_by.is_(None))
    )
    if after_id is not None:
        query = query.where(ConsensusLabel.id > after_id)
    return int(session.scalar(query) or 0)


def latest_label_id(session: Session, *, model: str) -> int | None:
    """The newest label id of `model` (a watermark), or None when it has no labels."""
    return session.scalar(select(func.max(ConsensusLabel.id)).where(ConsensusLabel.model == model))
