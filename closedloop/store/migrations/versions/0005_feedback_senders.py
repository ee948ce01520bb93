"""Who stands behind each feedback event (issue 13): the id of the API key it arrived under (a fingerprint,
never the secret) and that key's trust level, so that labels weigh votes by their sender.

Both columns are added nullable; rows stored before them keep NULL, which derivation reads as it always
counted them (each actor a voter). Every row stays as it was.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("feedback_events", sa.Column("api_key_id", sa.String(32), nullable=True))
    op.add_column("feedback_events", sa.Column("sender_trust", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_events") as batch:
        batch.drop_column("sender_trust")
        batch.drop_column("api_key_id")
