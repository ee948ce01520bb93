"""The initial feedback store: predictions, feedback events, consensus labels, registry audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WATERMARK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("input", JSON, nullable=False),
        sa.Column("output", JSON, nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("shadow_version", sa.String(64), nullable=True),
        sa.Column("shadow_output", JSON, nullable=True),
        sa.CheckConstraint("model IN ('spam', 'recsys')", name="ck_predictions_model"),
        sa.PrimaryKeyConstraint("id", name="pk_predictions"),
    )
    op.create_index("ix_predictions_model_created_at", "predictions", ["model", "created_at"])

    op.create_table(
        "feedback_events",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("prediction_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('report_spam', 'not_spam', 'click', 'rating', 'dismiss')",
            name="ck_feedback_events_kind",
        ),
        sa.ForeignKeyConstraint(
            ["prediction_id"], ["predictions.id"], name="fk_feedback_events_prediction_id_predictions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_events"),
        sa.UniqueConstraint("event_id", name="uq_feedback_events_event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_feedback_events_prediction_id", "feedback_events", ["prediction_id"])

    op.create_table(
        "consensus_labels",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("subject_key", sa.String(128), nullable=False),
        sa.Column("prediction_id", sa.String(64), nullable=True),
        sa.Column("subject", JSON, nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("agreement", sa.Float(), nullable=True),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("superseded_by", WATERMARK, nullable=True),
        sa.CheckConstraint("model IN ('spam', 'recsys')", name="ck_consensus_labels_model"),
        sa.CheckConstraint(
            "source IN ('user_feedback', 'annotation', 'adjudication', 'gold', 'corpus')",
            name="ck_consensus_labels_source",
        ),
        sa.ForeignKeyConstraint(
            ["prediction_id"], ["predictions.id"], name="fk_consensus_labels_prediction_id_predictions"
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["consensus_labels.id"],
            name="fk_consensus_labels_superseded_by_consensus_labels",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consensus_labels"),
        sqlite_autoincrement=True,
    )
    # Unique among current labels only: superseded rows stay for reproducible snapshots.
    op.create_index(
        "uq_consensus_labels_current",
        "consensus_labels",
        ["model", "subject_key"],
        unique=True,
        sqlite_where=sa.text("superseded_by IS NULL"),
        postgresql_where=sa.text("superseded_by IS NULL"),
    )
    op.create_index("ix_consensus_labels_model_id", "consensus_labels", ["model", "id"])

    op.create_table(
        "registry_audit",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("registered_model", sa.String(128), nullable=False),
        sa.Column("alias", sa.String(16), nullable=False),
        sa.Column("from_version", sa.String(64), nullable=True),
        sa.Column("to_version", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.CheckConstraint("alias IN ('champion', 'challenger')", name="ck_registry_audit_alias"),
        sa.PrimaryKeyConstraint("id", name="pk_registry_audit"),
    )
    op.create_index("ix_registry_audit_registered_model_id", "registry_audit", ["registered_model", "id"])


def downgrade() -> None:
    op.drop_table("registry_audit")
    op.drop_table("consensus_labels")
    op.drop_table("feedback_events")
    op.drop_table("predictions")
