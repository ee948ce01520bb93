"""Fixtures for the API: tiny real models registered in a real MLflow (SQLite), and apps served from copies
of that home so that each test can move aliases without touching the others."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from closedloop import registry
from closedloop.kinds.recsys.packaging import log_recommender
from closedloop.kinds.spam.packaging import log_spam_model
from closedloop.registry import tracking
from closedloop.settings import Settings
from closedloop.store import open_store
from models.recsys.popularity import PopularityRecommender
from models.spam.baseline import TfidfLogisticSpamModel
from services.api import create_app
from tests.factories import CLIENT_KEY, write_api_keys
from tests.postgres import create_pg_database, drop_pg_database

TEXTS = ["free money click now", "meeting notes attached", "cheap pills offer", "patch for the build"] * 5
LABELS = np.array([1, 0, 1, 0] * 5)
RATINGS = pd.DataFrame({"user_id": [1, 1, 2, 2, 3, 3, 3], "item_id": [10, 20, 10, 30, 10, 20, 40]})
TITLES = {10: "Toy Story", 20: "Heat", 30: "Fargo", 40: "Casino", 50: "Unrated"}
RegisterSpam = Callable[..., str]


def register_spam(settings: Settings, *, threshold: float, alias: str | None = None) -> str:
    """Log a tiny TF-IDF spam filter as a new version of spam-filter; point `alias` at it if given."""
    client = tracking.configure(settings)
    with tracking.training_run(settings, experiment="spam-filter", run_name="test"):
        info = log_spam_model(
            TfidfLogisticSpamModel(min_df=1).fit(TEXTS, LABELS), threshold, registered_name="spam-filter"
        )
    version = str(info.registered_model_version)
    if alias is not None:
        store = open_store(settings.store_url)
        try:
            registry.move_alias(
                client, store, name="spam-filter", alias=alias, version=version, actor="test", reason="test"
            )
        finally:
            store.close()
    return version


def register_recommender(settings: Settings) -> str:
    client = tracking.configure(settings)
    model = PopularityRecommender().fit(RATINGS, item_ids=list(TITLES))
    with tracking.training_run(settings, experiment="recommender", run_name="test"):
        info = log_recommender(model, TITLES, registered_name="recommender")
    version = str(info.registered_model_version)
    store = open_store(settings.store_url)
    try:
        registry.promote(client, store, name="recommender", version=version, actor="test", reason="test")
    finally:
        store.close()
    return version


@pytest.fixture(scope="session")
def model_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with spam-filter v1 and recommender v1 as champions and the test API keys (built once per
    session)."""
    home = tmp_path_factory.mktemp("models") / "home"
    write_api_keys(home)
    settings = Settings(home=home)
    register_spam(settings, threshold=0.5, alias=registry.CHAMPION)
    register_recommender(settings)
    return home


@pytest.fixture
def serving_home(model_home: Path, tmp_path: Path) -> Path:
    """A private copy of `model_home` (aliases can move; the MLflow artefacts are shared read-only)."""
    home = tmp_path / "serving-home"
    shutil.copytree(model_home, home)
    return home


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, serving_home: Path) -> Iterator[Settings]:
    """Settings serving `serving_home` with its store on SQLite, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield Settings(home=serving_home)
        return
    url = create_pg_database("closedloop_api")
    try:
        yield Settings(home=serving_home, database_url=url)
    finally:
        drop_pg_database(url)


@pytest.fixture
def api_settings(serving_home: Path) -> Settings:
    return Settings(home=serving_home, reload_seconds=0.2, shadow_share=1.0, max_text_chars=200)


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the API never became ready"
        time.sleep(0.05)


def open_client(app: FastAPI, *, key: str | None = CLIENT_KEY) -> TestClient:
    """A test client sending `key` as X-API-Key (None: no key). Server errors come back as responses (our
    500 handler), as a real client would see them."""
    headers = {"X-API-Key": key} if key is not None else None
    return TestClient(app, raise_server_exceptions=False, headers=headers)


@pytest.fixture
def client(api_settings: Settings) -> Iterator[TestClient]:
    with open_client(create_app(api_settings)) as client:
        wait_ready(client)
        yield client
