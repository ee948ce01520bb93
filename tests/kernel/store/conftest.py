"""Store tests get `store_url`, `engine`, `session`… from tests/kernel/conftest.py (SQLite and PostgreSQL);
here: an empty, unmigrated store for the migration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A store URL with no schema at all (for migration tests); on PostgreSQL an empty search_path schema,
    which is much quicker to make and drop than a database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'feedback.db'}"
        return
    base = make_url(str(request.getfixturevalue("pg_url")))
    schema = f"fresh_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()
