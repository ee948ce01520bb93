"""Labeling assignments (issue 13): which annotator the queue handed each item to; only those may label it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATERMARK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "labeling_assignments",
        sa.Column("id", WATERMARK, autoincrement=True, nullable=False),
        sa.Column("item_id", WATERMARK, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["labeling_items.id"], name="fk_labeling_assignments_item_id_labeling_items"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_labeling_assignments_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_labeling_assignments"),
        sa.UniqueConstraint("item_id", "user_id", name="uq_labeling_assignments_item_id_user_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("labeling_assignments")
