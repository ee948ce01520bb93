"""The whole platform's state on one PostgreSQL server: the feedback store, MLflow's backend store and the
Prefect server's database, each in a database of its own (all three keep an `alembic_version` table, so
they cannot share one).

From `postgresql://user@host:5432/closedloop` the platform uses the databases `closedloop` (feedback
store), `closedloop_mlflow` and `closedloop_prefect`, creating those that are missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError


class PostgresUnavailable(RuntimeError):
    """The server did not answer, or refused to create a database."""


@dataclass(frozen=True)
class PostgresLayout:
    """One database per component, as SQLAlchemy URLs with the driver each component uses."""

    store: str  # psycopg (the feedback store)
    mlflow: str  # psycopg (MLflow's SQLAlchemy tracking and registry store)
    prefect: str  # asyncpg (the Prefect server is async)

    def settings(self) -> dict[str, str]:
        """The closedloop settings (by field name) that put each component in its database."""
        return {
            "database_url": self.store,
            "mlflow_tracking_uri": self.mlflow,
            "prefect_database_url": self.prefect,
        }


def postgres_layout(url: str) -> PostgresLayout:
    """The three databases for a server URL whose database names the store (`closedloop` if none is given)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    name = parsed.database or "closedloop"

    def database(driver: str, suffix: str) -> str:
        found: URL = parsed.set(drivername=f"postgresql+{driver}", database=f"{name}{suffix}")
        return found.render_as_string(hide_password=False)

    return PostgresLayout(
        store=database("psycopg", ""),
        mlflow=database("psycopg", "_mlflow"),
        prefect=database("asyncpg", "_prefect"),
    )


def create_missing_databases(layout: PostgresLayout) -> list[str]:
    """Create whichever of the layout's databases do not exist yet (the role needs CREATEDB); returns the
    names created. Connects to the server's `postgres` database to do so."""
    admin = make_url(layout.store).set(drivername="postgresql+psycopg", database="postgres")
    names = [make_url(url).database for url in (layout.store, layout.mlflow, layout.prefect)]
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    created = []
    try:
        with engine.connect() as connection:
            existing = set(connection.execute(text("SELECT datname FROM pg_database")).scalars())
            for name in names:
                if name not in existing:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                    created.append(str(name))
    except SQLAlchemyError as error:
        where = admin.render_as_string(hide_password=True)
        raise PostgresUnavailable(f"could not prepare the databases on {where}: {error}") from error
    finally:
        engine.dispose()
    return created
