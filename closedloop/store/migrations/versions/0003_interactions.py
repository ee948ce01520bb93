"""Interactions (issue 11): every view, rating, click and dismissal, the recommender's training data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATERMARK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "interactions",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("occurred_at", UTC_TIME, nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        # Optional attribution to a recommendation; no foreign key (imports name predictions never logged).
        sa.Column("prediction_id", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.CheckConstraint("kind IN ('view', 'rating', 'click', 'dismiss')", name="ck_interactions_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_interactions"),
        sa.UniqueConstraint("event_id", name="uq_interactions_event_id"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_interactions_history", "interactions", ["model", "user_id", "id", "item_id", "kind", "value"]
    )
    op.create_index("ix_interactions_model_id", "interactions", ["model", "id"])
    op.create_index("ix_interactions_prediction_id", "interactions", ["prediction_id"])


def downgrade() -> None:
    op.drop_table("interactions")
