"""Labeling (issue 6): users, login sessions, the labeling queue, annotations and adjudications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WATERMARK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.CheckConstraint("role IN ('annotator', 'adjudicator', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )

    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_login_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_login_sessions"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])

    op.create_table(
        "labeling_items",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("task", sa.String(16), nullable=False),
        sa.Column("subject_key", sa.String(128), nullable=False),
        sa.Column("subject", JSON, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("model_score", sa.Float(), nullable=True),
        sa.Column("model_label", sa.Integer(), nullable=True),
        sa.Column("prediction_id", sa.String(64), nullable=True),
        sa.Column("gold_label", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("n_labels", sa.Integer(), nullable=False),
        sa.Column("consensus_label", sa.Integer(), nullable=True),
        sa.Column("consensus_id", WATERMARK, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.CheckConstraint("model IN ('spam', 'recsys')", name="ck_labeling_items_model"),
        sa.CheckConstraint("task IN ('spam', 'relevance')", name="ck_labeling_items_task"),
        sa.CheckConstraint(
            "reason IN ('uncertainty', 'disagreement', 'disputed', 'random', 'gold')",
            name="ck_labeling_items_reason",
        ),
        sa.CheckConstraint("status IN ('open', 'disputed', 'resolved')", name="ck_labeling_items_status"),
        sa.ForeignKeyConstraint(
            ["prediction_id"], ["predictions.id"], name="fk_labeling_items_prediction_id_predictions"
        ),
        sa.ForeignKeyConstraint(
            ["consensus_id"],
            ["consensus_labels.id"],
            name="fk_labeling_items_consensus_id_consensus_labels",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_labeling_items"),
        sa.UniqueConstraint("model", "subject_key", name="uq_labeling_items_model_subject_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_labeling_items_queue", "labeling_items", ["status", "model", "priority"])

    op.create_table(
        "annotations",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("item_id", WATERMARK, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("label", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.CheckConstraint(
            "(kind = 'label' AND label IS NOT NULL) OR (kind = 'skip' AND label IS NULL)",
            name="ck_annotations_kind",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["labeling_items.id"], name="fk_annotations_item_id_labeling_items"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_annotations_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_annotations"),
        sa.UniqueConstraint("item_id", "user_id", name="uq_annotations_item_id_user_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_annotations_user_id_id", "annotations", ["user_id", "id"])
    op.create_index("ix_annotations_created_at", "annotations", ["created_at"])

    op.create_table(
        "adjudications",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("item_id", WATERMARK, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["labeling_items.id"], name="fk_adjudications_item_id_labeling_items"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_adjudications_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_adjudications"),
        sa.UniqueConstraint("item_id", name="uq_adjudications_item_id"),
    )
    op.create_index("ix_adjudications_user_id", "adjudications", ["user_id"])


def downgrade() -> None:
    op.drop_table("adjudications")
    op.drop_table("annotations")
    op.drop_table("labeling_items")
    op.drop_table("login_sessions")
    op.drop_table("users")
