"""Registry aliases and their audit log, on MLflow backed by SQLite and by the real local PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from closedloop import registry
from closedloop.kinds.spam.packaging import SpamFilterModel, log_spam_model
from closedloop.registry import tracking
from closedloop.registry.packaging import load_wrapper
from closedloop.settings import Settings
from closedloop.store import Store, open_store
from models.spam.baseline import TfidfLogisticSpamModel
from tests.postgres import create_pg_database, drop_pg_database

TEXTS = ["free money click now", "meeting notes attached", "cheap pills offer", "patch for the build"] * 5
LABELS = np.array([1, 0, 1, 0] * 5)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield Settings(home=tmp_path / "home")
        return
    url = create_pg_database("closedloop_mlflow")
    try:
        yield Settings(home=tmp_path / "home", mlflow_tracking_uri=url)
    finally:
        drop_pg_database(url)


@pytest.fixture
def store(backend: Settings) -> Iterator[Store]:
    store = open_store(backend.store_url)
    yield store
    store.close()


def register(settings: Settings, threshold: float) -> str:
    model = TfidfLogisticSpamModel().fit(TEXTS, LABELS)
    with tracking.training_run(settings, experiment="spam-filter", run_name="test"):
        info = log_spam_model(model, threshold, registered_name="spam-filter")
    return str(info.registered_model_version)


def test_promote_rollback_and_audit(backend: Settings, store: Store):
    client: MlflowClient = tracking.configure(backend)
    v1, v2 = register(backend, 0.5), register(backend, 0.9)
    assert (v1, v2) == ("1", "2")

    registry.promote(client, store, name="spam-filter", version=v1, actor="alice", reason="first")
    registry.move_alias(
        client, store, name="spam-filter", alias="challenger", version=v2, actor="flow", reason="candidate"
    )
    registry.promote(
        client,
        store,
        name="spam-filter",
        version=v2,
        actor="flow",
        reason="gate passed",
        evidence={"delta_f1": 0.02},
    )
    assert registry.aliased_version(client, name="spam-filter", alias="challenger") is None  # cleared

    champion = load_wrapper("models:/spam-filter@champion")
    assert isinstance(champion, SpamFilterModel) and champion.threshold == 0.9

    move = registry.rollback(client, store, name="spam-filter", actor="bob", reason="complaints")
    assert (move.from_version, move.to_version, move.actor) == ("2", "1", "bob")
    assert str(registry.aliased_version(client, name="spam-filter", alias="champion").version) == "1"

    history = registry.history(store, name="spam-filter")
    assert [(m.alias, m.from_version, m.to_version) for m in history] == [
        ("champion", "2", "1"),
        ("challenger", "2", None),
        ("champion", "1", "2"),
        ("challenger", None, "2"),
        ("champion", None, "1"),
    ]
    assert history[2].evidence == {"delta_f1": 0.02}
    versions = registry.list_versions(client, name="spam-filter")
    assert [(v.version, v.aliases) for v in versions] == [("2", []), ("1", ["champion"])]


def test_rollback_without_previous_champion_is_a_clear_error(backend: Settings, store: Store):
    client = tracking.configure(backend)
    with pytest.raises(registry.RegistryError, match="no champion"):
        registry.rollback(client, store, name="spam-filter", actor="bob", reason="oops")
    registry.promote(client, store, name="spam-filter", version=register(backend, 0.5), actor="a", reason="r")
    with pytest.raises(registry.RegistryError, match="no previous champion"):
        registry.rollback(client, store, name="spam-filter", actor="bob", reason="oops")


def test_audit_failure_restores_the_alias(backend: Settings, tmp_path: Path):
    client = tracking.configure(backend)
    version = register(backend, 0.5)
    broken = open_store(f"sqlite:///{tmp_path / 'audit.db'}")
    broken.engine.dispose()
    (tmp_path / "audit.db").unlink()
    (tmp_path / "audit.db").mkdir()  # the audit database can no longer be opened
    with pytest.raises(Exception):  # noqa: B017 - any store failure must undo the MLflow change
        registry.promote(client, broken, name="spam-filter", version=version, actor="a", reason="r")
    assert registry.aliased_version(client, name="spam-filter", alias="champion") is None


def test_unknown_model_name_lists_choices():
    with pytest.raises(registry.RegistryError, match="registered kinds: spam, recsys"):
        registry.registered_name("fraud")
    assert mlflow.__version__.startswith("3.")
