"""Bring a store's schema to the newest Alembic revision; services and flows call `migrate` at start-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, text

from closedloop.store.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works: it only has to be the same for every process migrating the same PostgreSQL database.
_PG_MIGRATION_LOCK = 0x636C6F7365646C6F  # "closedlo"

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    """The Alembic configuration of the store (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(url_or_engine: str | URL | Engine, *, revision: str = "head") -> str:
    """Upgrade the store to `revision` (default: the newest) and return the revision it is at; a no-op when
    it is already there.

    Safe when several processes start at once: they take a lock (PostgreSQL advisory lock, SQLite write
    lock) so one migrates while the others wait and then find nothing to do.
    """
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    config = alembic_config()
    try:
        with engine.connect() as connection:
            with _sqlite_keys_checked_at_the_end(connection):
                _lock(connection)
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                _check_foreign_keys(connection)
                connection.commit()
            reached = current_revision(connection)
    finally:
        if engine is not url_or_engine:
            engine.dispose()
    log.info("store schema at revision %s", reached)
    return reached


def current_revision(connection: Connection) -> str:
    """The revision the database is at (empty string for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision() or ""


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the store has no migrations"
    return head


@contextmanager
def _sqlite_keys_checked_at_the_end(connection: Connection) -> Iterator[None]:
    """SQLite alters a table by rebuilding it (batch mode): a new copy replaces the old one, which other
    tables' foreign keys refer to, and an enforced key refuses that half-way. SQLite's documented procedure:
    keys off for the migration (set outside a transaction, or the pragma does nothing), checked before the
    commit (`_check_foreign_keys`), on again after. A connection whose keys would not come back on is
    discarded rather than returned to the pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()  # nothing after a commit; ends a failed upgrade, so the pragma takes effect
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        if connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 1:
            connection.invalidate()


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left a row pointing at nothing."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(
            f"the migration left {len(broken)} rows with broken foreign keys, e.g. {broken[:3]}"
        )


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # pysqlite would run the DDL outside any transaction; an explicit write transaction makes the whole
        # upgrade atomic and serialises concurrent first starts (the busy timeout makes the others wait).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
