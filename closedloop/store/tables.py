"""The store's schema as SQLAlchemy 2 typed models; `migrations/` creates exactly these tables.

These ORM classes stay inside the package: query functions return records (`records.py`), never rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from closedloop import clock

# Deterministic constraint names, so migrations can refer to them on both backends.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JSONType = JSON().with_variant(JSONB(), "postgresql")
# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
Watermark = BigInteger().with_variant(Integer(), "sqlite")
# Model kinds, their feedback kinds and labeling tasks are names the registered kinds choose: the schema holds
# them as plain strings of this length, with no CHECK listing them (a new kind needs no migration).
NAME_LENGTH = 32


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on both backends (SQLite stores naive UTC; naive input counts as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The default of every timestamp column: the platform clock (simulated during a backtest)."""
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_model_created_at", "model", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    model_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    input: Mapped[dict[str, Any]] = mapped_column(JSONType)
    output: Mapped[dict[str, Any]] = mapped_column(JSONType)
    score: Mapped[float | None] = mapped_column(Float)
    shadow_version: Mapped[str | None] = mapped_column(String(64))
    shadow_output: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class FeedbackEvent(Base):
    __tablename__ = "feedback_events"
    __table_args__ = (
        {"sqlite_autoincrement": True},
    )  # ids are watermarks: never reuse one, even after a delete

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    prediction_id: Mapped[str] = mapped_column(ForeignKey("predictions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(NAME_LENGTH))
    value: Mapped[Any | None] = mapped_column(JSONType)
    actor: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The API key it arrived under (its id, never the secret) and that key's trust level; NULL on rows
    # stored before senders were recorded (migration 0005).
    api_key_id: Mapped[str | None] = mapped_column(String(32))
    sender_trust: Mapped[str | None] = mapped_column(String(16))


class Interaction(Base):
    """One logged user interaction (view, rating, click, dismiss): the recommender's training data.

    `prediction_id` optionally names the recommendation that led to it; it is not a foreign key, because
    interactions also arrive from imports and clients whose predictions this store never logged.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint("kind IN ('view', 'rating', 'click', 'dismiss')", name="kind"),
        # A user's history, read on every recommendation request: covering, so no table look-up per row
        # (the heaviest MovieLens user's 733 rows: 1.1 ms -> 0.3 ms on SQLite).
        Index("ix_interactions_history", "model", "user_id", "id", "item_id", "kind", "value"),
        Index("ix_interactions_model_id", "model", "id"),  # snapshots: one model, ids up to a watermark
        Index("ix_interactions_prediction_id", "prediction_id"),
        {"sqlite_autoincrement": True},  # ids are watermarks: never reuse one, even after a delete
    )

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    user_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prediction_id: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))


class ConsensusLabel(Base):
    """Append-only: a new label for a subject inserts a row and points the old one at it (`superseded_by`).

    Only current rows (`superseded_by IS NULL`) are unique per (model, subject_key); keeping the old rows is
    what lets `read_training_labels(upto_id=...)` reproduce an earlier snapshot exactly.
    """

    __tablename__ = "consensus_labels"
    __table_args__ = (
        CheckConstraint(
            "source IN ('user_feedback', 'annotation', 'adjudication', 'gold', 'corpus')", name="source"
        ),
        Index(
            "uq_consensus_labels_current",
            "model",
            "subject_key",
            unique=True,
            sqlite_where=text("superseded_by IS NULL"),
            postgresql_where=text("superseded_by IS NULL"),
        ),
        Index("ix_consensus_labels_model_id", "model", "id"),  # snapshots: one model, ids up to a watermark
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    subject_key: Mapped[str] = mapped_column(String(128))
    prediction_id: Mapped[str | None] = mapped_column(ForeignKey("predictions.id"))
    subject: Mapped[dict[str, Any]] = mapped_column(JSONType)
    label: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    agreement: Mapped[float | None] = mapped_column(Float)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by: Mapped[int | None] = mapped_column(Watermark, ForeignKey("consensus_labels.id"))


class RegistryAudit(Base):
    __tablename__ = "registry_audit"
    __table_args__ = (
        CheckConstraint("alias IN ('champion', 'challenger')", name="alias"),
        Index("ix_registry_audit_registered_model_id", "registered_model", "id"),
    )

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    registered_model: Mapped[str] = mapped_column(String(128))
    alias: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[str | None] = mapped_column(String(64))
    to_version: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Labeling (issue 6): accounts, login sessions, the queue, annotations and adjudications.


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('annotator', 'adjudicator', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginSession(Base):
    """A server-side login: only the token's SHA-256 is stored, so a leaked table opens no session."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LabelingItem(Base):
    """One subject waiting for (or done with) human labels. `n_labels` counts label annotations: claiming a
    slot is one conditional UPDATE, so two annotators racing for the last slot cannot both win."""

    __tablename__ = "labeling_items"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('uncertainty', 'disagreement', 'disputed', 'random', 'gold')", name="reason"
        ),
        CheckConstraint("status IN ('open', 'disputed', 'resolved')", name="status"),
        UniqueConstraint("model", "subject_key"),  # a subject is queued once
        Index("ix_labeling_items_queue", "status", "model", "priority"),  # next_item's scan
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    task: Mapped[str] = mapped_column(String(NAME_LENGTH))  # the kind's `config.task.name`
    subject_key: Mapped[str] = mapped_column(String(128))
    subject: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float)
    model_score: Mapped[float | None] = mapped_column(Float)
    model_label: Mapped[int | None] = mapped_column(Integer)
    prediction_id: Mapped[str | None] = mapped_column(ForeignKey("predictions.id"))
    gold_label: Mapped[int | None] = mapped_column(Integer)  # only for reason 'gold'; never shown
    status: Mapped[str] = mapped_column(String(16), default="open")
    n_labels: Mapped[int] = mapped_column(Integer, default=0)
    consensus_label: Mapped[int | None] = mapped_column(Integer)
    consensus_id: Mapped[int | None] = mapped_column(Watermark, ForeignKey("consensus_labels.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Annotation(Base):
    """An annotator's label on an item, or their skip; one row per (item, annotator), deleted by undo."""

    __tablename__ = "annotations"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'label' AND label IS NOT NULL) OR (kind = 'skip' AND label IS NULL)", name="kind"
        ),
        UniqueConstraint("item_id", "user_id"),  # nobody gets the same item twice
        Index("ix_annotations_user_id_id", "user_id", "id"),  # undo_last, per-annotator figures
        Index("ix_annotations_created_at", "created_at"),  # throughput
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Watermark, ForeignKey("labeling_items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8))
    label: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """An item handed to an annotator by the queue (`next_item`): only a handed-out item may be labelled or
    skipped, so nobody can pick which items they settle. One row per (item, annotator); kept after undo."""

    __tablename__ = "labeling_assignments"
    __table_args__ = (UniqueConstraint("item_id", "user_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Watermark, ForeignKey("labeling_items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adjudication(Base):
    """An adjudicator's decision on a disputed item (at most one per item)."""

    __tablename__ = "adjudications"

    id: Mapped[int] = mapped_column(Watermark, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Watermark, ForeignKey("labeling_items.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
