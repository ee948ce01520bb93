"""Schema: Alembic creates exactly the models' tables, idempotently, even when processes start together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from closedloop.store import make_engine, migrate, open_store
from closedloop.store.migration import head_revision
from closedloop.store.tables import Base

TABLES = {"predictions", "feedback_events", "consensus_labels", "registry_audit"}


def test_migrate_twice_is_a_no_op(store_url: str, engine: Engine) -> None:
    assert migrate(store_url) == head_revision()
    assert migrate(engine) == head_revision()
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert versions == [head_revision()]
    assert drift == []  # the migration creates exactly what tables.py declares


def test_tables_and_unique_constraints_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= TABLES
    feedback_unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("feedback_events")}
    assert ("event_id",) in feedback_unique
    label_indexes = {i["name"]: i for i in inspector.get_indexes("consensus_labels")}
    current = label_indexes["uq_consensus_labels_current"]
    assert current["unique"] and current["column_names"] == ["model", "subject_key"]
    prediction_indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("predictions")}
    assert ("model", "created_at") in prediction_indexes
    referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("feedback_events")}
    assert referred == {"predictions"}


def test_concurrent_first_starts_migrate_once(empty_url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(pool.map(migrate, [empty_url] * 4))
    assert revisions == [head_revision()] * 4
    engine = make_engine(empty_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_sqlite_connections_are_durable_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert path.parent.is_dir()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30_000}


def test_open_store_migrates_and_hands_out_sessions(empty_url: str) -> None:
    store = open_store(empty_url)
    try:
        with store.session() as session:
            assert session.execute(text("SELECT count(*) FROM feedback_events")).scalar() == 0
    finally:
        store.close()
