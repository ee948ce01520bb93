"""A throwaway PostgreSQL database per test run, on the server at CLOSEDLOOP_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

ADMIN_URL = os.environ.get(
    "CLOSEDLOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def create_pg_database(prefix: str = "closedloop_test") -> str:
    """A new, empty PostgreSQL database next to ADMIN_URL; skips the test when no server answers."""
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.skip(
            f"PostgreSQL not reachable at {admin.render_as_string()} ({str(error.orig).splitlines()[0]}); "
            "start one or point CLOSEDLOOP_TEST_POSTGRES_URL at it"
        )
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    admin = make_url(ADMIN_URL).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        engine.dispose()
