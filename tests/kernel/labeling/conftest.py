"""Every labeling kernel test runs on a fresh SQLite file and on PostgreSQL, like the store's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from closedloop.labeling import Role, UserRecord, create_user
from closedloop.settings import get_settings
from closedloop.store import make_engine, migrate, session_factory
from tests.postgres import create_pg_database, drop_pg_database

TABLES = (
    "adjudications, annotations, labeling_items, login_sessions, users, "
    "predictions, feedback_events, consensus_labels, registry_audit"
)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2's smallest allowed memory cost: the same code path, a fraction of the time on 2 cores."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", "8192")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = create_pg_database("closedloop_labeling")
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store on SQLite or PostgreSQL."""
    if request.param == "sqlite":
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


@pytest.fixture
def make_user(session: Session) -> Callable[..., UserRecord]:
    """`make_user("ann")` -> an enabled annotator with password "correct horse"."""

    def make(name: str, role: Role = "annotator") -> UserRecord:
        return create_user(session, username=name, password="correct horse", role=role)

    return make
