"""Engines and sessions for the store: SQLite (durable WAL) or PostgreSQL through psycopg 3."""

from __future__ import annotations

import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLite's `PRAGMA synchronous` in WAL mode. FULL: fsync the WAL at every commit, so a commit survives a
# crash of the process, the OS or the power. NORMAL: no fsync at commit (only at checkpoints), so a commit
# survives a crash of the process (SIGKILL included: the WAL is in the OS's cache) but the newest commits may
# roll back on a power loss or an OS crash; the database is never corrupted either way.
Synchronous = Literal["FULL", "NORMAL"]


def make_engine(
    url: str | URL,
    *,
    sqlite_synchronous: Synchronous = "FULL",
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    **kwargs: Any,
) -> Engine:
    """Create an engine for `url` (`sqlite:///path` or `postgresql+psycopg://...`), ready for threads.

    SQLite runs in WAL mode with `synchronous=FULL` unless told otherwise (see `Synchronous`), so an
    acknowledged commit survives a crash of the process or the machine; writers wait up to 30 s for each other
    instead of failing with "database is locked" (`sqlite_busy_timeout_ms` 0: fail at once, for a caller that
    must not wait and has somewhere else to send the write). PostgreSQL ignores both.
    """
    if sqlite_synchronous not in ("FULL", "NORMAL"):  # it is written into a PRAGMA
        raise ValueError(f"sqlite_synchronous is FULL or NORMAL, not {sqlite_synchronous!r}")
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, synchronous=sqlite_synchronous, busy_ms=sqlite_busy_timeout_ms, **kwargs)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship, not psycopg2
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose records stay readable after commit (the store commits inside its write functions)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, *, synchronous: Synchronous, busy_ms: int, **kwargs: Any) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)  # the pool hands connections across threads
    connect_args.setdefault("timeout", busy_ms / 1000)
    if not in_memory:
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 16)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    configure = partial(_configure_sqlite_connection, synchronous=synchronous, busy_ms=busy_ms)
    event.listen(engine, "connect", configure)
    return engine


def _configure_sqlite_connection(
    dbapi_connection: Any, _record: Any, *, synchronous: Synchronous, busy_ms: int
) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        # WAL lets readers run beside the one writer; FULL fsyncs the WAL at every commit (durability).
        _switch_to_wal(cursor)
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """`PRAGMA journal_mode=WAL`, retried while another connection writes. Switching a new database needs a
    lock upgrade, and SQLite refuses that at once instead of waiting out the busy timeout when a writer holds
    its lock (deadlock avoidance): several processes opening a fresh store together would otherwise fail."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
