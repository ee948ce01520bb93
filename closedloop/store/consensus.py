"""Consensus labels: one current label per subject, superseded by appending, never by overwriting.

A new label for a subject inserts a row and points the previous one at it (`superseded_by`), so a snapshot
read at an old watermark is reproducible. Labels never lose authority: a label whose source ranks below the
current one's (`SOURCE_RANK`) is not written; the same label from the same source is not written again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from closedloop.store.errors import PredictionNotFound, StoreError
from closedloop.store.records import SOURCE_RANK, LabelRecord, LabelSource
from closedloop.store.subjects import check_label
from closedloop.store.tables import ConsensusLabel, Prediction

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

ATTEMPTS = 10  # concurrent writers on one subject each retry after losing a race
_PG_LABEL_LOCK = 0x6C6162656C73  # "labels"


def upsert_consensus_label(
    session: Session,
    *,
    kind: ModelKind,
    subject: dict[str, Any],
    label: int,
    source: LabelSource,
    subject_key: str | None = None,
    prediction_id: str | None = None,
    agreement: float | None = None,
    provenance: dict[str, Any] | None = None,
) -> tuple[LabelRecord, bool]:
    """Make `label` the current label of a subject and commit; returns `(current label, written)`.

    `subject` is what was labelled, in the shape `kind` reads (a message, a user and an item, ...); its key
    defaults to `kind.subject_key(subject)`; `label` must be one of `kind.config.label_values`. `written` is
    False when the label was already current or a more authoritative source holds the subject.
    """
    raced: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            result = put_label(
                session,
                kind=kind,
                subject=subject,
                label=label,
                source=source,
                subject_key=subject_key,
                prediction_id=prediction_id,
                agreement=agreement,
                provenance=provenance or {},
            )
            session.commit()
            return result
        except (IntegrityError, _Raced) as error:
            session.rollback()  # a concurrent writer labelled the subject first: read it again and retry
            raced = error
        except OperationalError as error:
            # SQLite in WAL mode: a transaction that read before another writer committed cannot upgrade to a
            # write lock (SQLITE_BUSY_SNAPSHOT, "database is locked" at once, whatever the busy timeout).
            # Starting over with a fresh snapshot is the documented remedy.
            session.rollback()
            if "locked" not in str(error.orig):
                raise
            raced = error
        except BaseException:
            session.rollback()
            raise
    raise StoreError(
        f"could not settle the {kind.name} label of {subject_key!r} after {ATTEMPTS} attempts"
    ) from raced


def put_label(
    session: Session,
    *,
    kind: ModelKind,
    subject: dict[str, Any],
    label: int,
    source: str,
    subject_key: str | None,
    prediction_id: str | None,
    agreement: float | None,
    provenance: dict[str, Any],
) -> tuple[LabelRecord, bool]:
    """`upsert_consensus_label` without the commit, for callers writing many labels in one transaction."""
    key = check_label(kind=kind, subject=subject, label=label, source=source, subject_key=subject_key)
    model = kind.name
    _serialise_label_writers(session)
    if prediction_id is not None and session.get(Prediction, prediction_id) is None:
        raise PredictionNotFound(prediction_id)
    current = session.scalars(
        select(ConsensusLabel).where(
            ConsensusLabel.model == model,
            ConsensusLabel.subject_key == key,
            ConsensusLabel.superseded_by.is_(None),
        )
    ).one_or_none()
    if current is not None:
        unchanged = (current.label, current.source) == (label, source)
        if unchanged or SOURCE_RANK[source] < SOURCE_RANK[current.source]:
            return LabelRecord.model_validate(current), False
        # Claim the current row first (pointing it at itself): of two concurrent writers only one succeeds.
        claim = (
            update(ConsensusLabel)
            .where(ConsensusLabel.id == current.id, ConsensusLabel.superseded_by.is_(None))
            .values(superseded_by=current.id)
            .execution_options(synchronize_session=False)
        )
        result = session.execute(claim)
        if not isinstance(result, CursorResult) or result.rowcount != 1:
            raise _Raced
    row = ConsensusLabel(
        model=model,
        subject_key=key,
        prediction_id=prediction_id,
        subject=subject,
        label=label,
        source=source,
        agreement=agreement,
        provenance=provenance,
    )
    session.add(row)
    session.flush()
    if current is not None:
        current.superseded_by = row.id
        session.flush()
    return LabelRecord.model_validate(row), True


def _serialise_label_writers(session: Session) -> None:
    """One label-writing transaction at a time, so label ids become visible in id order (snapshot watermarks
    rely on it). SQLite's single writer lock does this already; PostgreSQL hands out ids before commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LABEL_LOCK})


class _Raced(Exception):
    """Another transaction superseded the label we were about to supersede."""
