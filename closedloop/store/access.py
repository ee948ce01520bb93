"""The one entry point for services and flows: `open_store(settings.store_url)`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from closedloop.store.engine import make_engine, session_factory
from closedloop.store.migration import migrate


@dataclass(frozen=True)
class Store:
    """An engine and its session factory: `with store.session() as session: record_feedback(session, ...)`."""

    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        """Release every pooled connection (at shutdown, or before forking worker processes)."""
        self.engine.dispose()


def open_store(url: str | URL, *, upgrade: bool = True) -> Store:
    """Connect to the store at `url`, first migrating its schema to the newest revision unless told not to."""
    engine = make_engine(url)
    if upgrade:
        migrate(engine)
    return Store(engine=engine, sessions=session_factory(engine))
