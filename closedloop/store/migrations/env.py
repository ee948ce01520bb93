"""Alembic environment for the feedback store.

`closedloop.store.migrate()` hands in an open connection. By hand, Alembic reads the URL from `-x url=...`,
e.g. to draft a revision after changing `tables.py` (see `closedloop/store/alembic.ini`):

    alembic -c closedloop/store/alembic.ini -x url=sqlite:///scratch.db revision --autogenerate -m "..."
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from closedloop.store.engine import make_engine
from closedloop.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database with -x url=... (or call closedloop.store.migrate)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; migrate against a database")
run_online()
