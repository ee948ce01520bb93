"""Model kinds as data (issue 12): no CHECK lists the model kinds, their feedback kinds or labeling tasks.

Which kinds exist is the registered kinds' business (`closedloop.kinds`), so a new kind must not need a
migration: the CHECKs of 0001/0002 that listed them are dropped, and the columns holding those names widen
from 16 to 32 characters (what `interactions.model` already had). Every row stays as it was.

PostgreSQL drops the constraints and widens in place. SQLite cannot alter a constraint, so each table is
rebuilt in batch mode (copied into a new table, which then takes the old one's name). Two things the copy
would lose are kept by hand: the partial unique index on current labels (reflection does not carry its
WHERE clause everywhere) and each AUTOINCREMENT high-water mark, since ids are watermarks that must never be
reused, even ids of rows deleted since. `closedloop.store.migrate` runs SQLite migrations with foreign keys
off and checks them before the commit, once every table is whole again (SQLite's documented procedure).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-13
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LENGTH, NAME_LENGTH = 16, 32
# table -> its columns whose CHECK listed the names a kind now chooses (tables in an order that copies a
# referenced table before the tables referring to it)
NAMED = {
    "predictions": ("model",),
    "feedback_events": ("kind",),
    "consensus_labels": ("model",),
    "labeling_items": ("model", "task"),
}
AUTOINCREMENT = ("feedback_events", "consensus_labels", "labeling_items")
CURRENT_LABELS = "uq_consensus_labels_current"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(bind)
        return
    inspector = sa.inspect(bind)
    for table, columns in NAMED.items():
        for name in _checks_on(inspector, table, columns):
            op.drop_constraint(op.f(name), table, type_="check")
        for column in columns:
            op.alter_column(
                table,
                column,
                type_=sa.String(NAME_LENGTH),
                existing_type=sa.String(OLD_LENGTH),
                existing_nullable=False,
            )


class IrreversibleMigration(RuntimeError):
    """A downgrade that would refuse rows written since the upgrade."""


def downgrade() -> None:
    raise IrreversibleMigration(
        "0004 is one-way: rows of kinds other than the two that 0001 listed may exist by now, and a CHECK "
        "added back would refuse them; restore a backup taken before the upgrade instead"
    )


def _checks_on(inspector: sa.Inspector, table: str, columns: Sequence[str]) -> list[str]:
    """The names of `table`'s CHECK constraints on `columns` (named `ck_<table>_..._<column>`: migrations
    0001/0002 ran under the store's naming convention, which prefixed their names once more)."""
    return [
        check["name"]
        for check in inspector.get_check_constraints(table)
        if check["name"] and any(check["name"].endswith(f"_{column}") for column in columns)
    ]


def _rebuild_sqlite(bind: sa.Connection) -> None:
    rows = bind.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all()
    sequences: dict[str, int] = {name: seq for name, seq in rows}
    inspector = sa.inspect(bind)
    checks = {table: _checks_on(inspector, table, columns) for table, columns in NAMED.items()}
    op.drop_index(CURRENT_LABELS, table_name="consensus_labels")
    for table, columns in NAMED.items():
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": table in AUTOINCREMENT}
        ) as batch:
            for name in checks[table]:
                batch.drop_constraint(op.f(name), type_="check")
            for column in columns:
                batch.alter_column(
                    column,
                    type_=sa.String(NAME_LENGTH),
                    existing_type=sa.String(OLD_LENGTH),
                    existing_nullable=False,
                )
    op.create_index(
        CURRENT_LABELS,
        "consensus_labels",
        ["model", "subject_key"],
        unique=True,
        sqlite_where=sa.text("superseded_by IS NULL"),
    )
    for table in AUTOINCREMENT:
        if table in sequences:  # the copy starts from its highest id (if any): the old mark may lie above it
            marks = {"seq": sequences[table], "table": table}
            bind.execute(
                sa.text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :table"), marks
            )
            bind.execute(
                sa.text(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT :table, :seq "
                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table)"
                ),
                marks,
            )
