"""`closedloop demo --postgres URL`: one server URL becomes three databases (store, MLflow, Prefect), created
on the real PostgreSQL server when missing; a bad URL or a server that does not answer is a one-line error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from closedloop.platform.postgres import PostgresLayout, create_missing_databases, postgres_layout
from closedloop.platform.processes import Ports, platform_environment
from closedloop.settings import Settings
from tests.kernel.test_cli import run_cli
from tests.postgres import create_pg_database, drop_pg_database


def test_one_url_names_a_database_per_component_with_its_driver():
    layout = postgres_layout("postgresql://alice:pw@db.example:5433/closedloop")
    assert layout.store == "postgresql+psycopg://alice:pw@db.example:5433/closedloop"
    assert layout.mlflow == "postgresql+psycopg://alice:pw@db.example:5433/closedloop_mlflow"
    assert layout.prefect == "postgresql+asyncpg://alice:pw@db.example:5433/closedloop_prefect"
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        postgres_layout("mysql://alice@db.example/closedloop")


def test_the_prefect_server_gets_its_database_from_the_settings(tmp_path: Path):
    layout = postgres_layout("postgresql://postgres@127.0.0.1:5432/cl")
    settings = Settings.model_validate({"home": str(tmp_path), **layout.settings()})
    env = platform_environment(settings, Ports(), base={})
    assert env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] == layout.prefect
    assert settings.store_url == layout.store and settings.tracking_uri == layout.mlflow
    assert "PREFECT_SERVER_DATABASE_CONNECTION_URL" not in platform_environment(
        Settings(home=tmp_path), Ports(), base={}
    )


@pytest.fixture
def fresh_layout() -> Iterator[PostgresLayout]:
    url = create_pg_database("cl")
    drop_pg_database(url)  # only its name is wanted: create_missing_databases makes all three
    layout = postgres_layout(url)
    try:
        yield layout
    finally:
        for found in (layout.store, layout.mlflow, layout.prefect):
            drop_pg_database(found)


@pytest.mark.postgres
def test_missing_databases_are_created_once(fresh_layout: PostgresLayout):
    names = [make_url(u).database for u in (fresh_layout.store, fresh_layout.mlflow, fresh_layout.prefect)]
    assert create_missing_databases(fresh_layout) == names
    assert create_missing_databases(fresh_layout) == []
    engine = create_engine(make_url(fresh_layout.prefect).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_demo_refuses_a_bad_url_and_a_silent_server_in_one_line(home: Path):
    done = run_cli("demo", "--postgres", "sqlite:///x.db", home=home)
    assert done.returncode == 2 and "not a PostgreSQL URL" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli("demo", "--postgres", "postgresql://nobody@127.0.0.1:1/cl", home=home)
    assert done.returncode == 2 and "could not prepare the databases" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
