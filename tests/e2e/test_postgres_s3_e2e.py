"""The loop with nothing on local disk but the corpus cache: the feedback store, MLflow's backend store and
the Prefect server's database each in a fresh database on the running PostgreSQL server, and MLflow's
artefacts in a SeaweedFS bucket behind an MLflow tracking server. The same processes and the same spam loop as
test_loop_e2e.py: first champions, replayed feedback, the label trigger, a retrain, the gate, serving."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bench.harness import running_platform
from closedloop.platform.postgres import PostgresLayout, create_missing_databases, postgres_layout
from closedloop.store import open_store
from tests.e2e.test_loop_e2e import TRIGGER, _check_the_loop, _data_dir
from tests.postgres import create_pg_database, drop_pg_database
from tests.s3 import mlflow_server, seaweedfs

# Two more servers (SeaweedFS, MLflow) than test_loop_e2e.py's platform: on a busy machine this outlasts the
# default 600 s timeout.
pytestmark = [pytest.mark.slow, pytest.mark.corpus, pytest.mark.postgres, pytest.mark.timeout(1500)]


@pytest.fixture
def layout() -> Iterator[PostgresLayout]:
    """cl_<random>, cl_<random>_mlflow and cl_<random>_prefect, dropped afterwards."""
    found = postgres_layout(create_pg_database("cl"))
    create_missing_databases(found)
    try:
        yield found
    finally:
        for url in (found.prefect, found.mlflow, found.store):
            drop_pg_database(url)


def _count(url: str, table: str) -> int:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def test_the_loop_runs_on_postgresql_with_artefacts_in_s3(tmp_path: Path, layout: PostgresLayout):
    started = time.monotonic()
    open_store(layout.store).close()  # migrated once here, not by several services at the same moment
    with (
        seaweedfs(tmp_path / "seaweedfs") as s3,
        mlflow_server(tmp_path / "mlflow", backend_store_uri=layout.mlflow, s3=s3) as tracking_url,
    ):
        settings = {
            "label_trigger_count": str(TRIGGER),
            "gate_min_window": "20",
            "database_url": layout.store,
            "mlflow_tracking_uri": tracking_url,
            "prefect_database_url": layout.prefect,
        }
        data_dir = _data_dir(tmp_path)
        with running_platform(tmp_path, data_dir=data_dir, settings=settings, timeout=900) as platform:
            try:
                _check_the_loop(platform, patience=2.5)
            except AssertionError as failure:
                logs = "\n".join(
                    f"--- {name}:\n{platform.supervisor.tail(name, 30)}"
                    for name in platform.supervisor.running
                )
                raise AssertionError(f"{failure}\n{logs}") from None
        objects = s3.keys("mlflow/")

    # Each component's state is in its own PostgreSQL database, and the models are objects in the bucket.
    predictions = _count(layout.store, "predictions")
    labels = _count(layout.store, "consensus_labels")
    versions = _count(layout.mlflow, "model_versions")
    flow_runs = _count(layout.prefect, "flow_run")
    assert predictions > 0 and labels >= TRIGGER
    assert versions >= 3, "first champions of each kind, and the spam retrain's challenger"
    assert flow_runs > 0
    assert sum(key.endswith("/MLmodel") for key in objects) >= versions
    assert not (tmp_path / "home" / "mlflow" / "artifacts").exists(), "no artefact on local disk"
    print(
        f"all-PostgreSQL loop: {time.monotonic() - started:.0f} s; {predictions} predictions, "
        f"{labels} labels, {versions} model versions, {flow_runs} Prefect flow runs, "
        f"{len(objects)} objects in the bucket"
    )
