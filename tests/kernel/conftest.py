"""The kernel's database fixtures: every store-facing test runs on a fresh SQLite file and on a PostgreSQL
database made for this run (skipped, with the reason, where no PostgreSQL server answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from closedloop.store import make_engine, migrate, session_factory
from closedloop.store.tables import Base
from tests.postgres import create_pg_database, drop_pg_database

TABLES = ", ".join(table.name for table in Base.metadata.sorted_tables)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole test run, dropped at the end."""
    url = create_pg_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty store on `backend`."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store' / 'feedback.db'}"
        migrate(url)
        return url
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session
