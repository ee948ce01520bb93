"""Flows run for real: a temporary Prefect API (prefect_test_harness), MLflow on a temp SQLite store, the
feedback store on a temp SQLite file, and small synthetic corpora fetched through the real `--from` path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from closedloop import corpora
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.settings import Settings, get_settings
from tests.factories import grouplens_zip, synthetic_spam_corpus


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    monkeypatch.setenv("CLOSEDLOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOSEDLOOP_GATE_N_BOOTSTRAP", "500")
    for key, value in env.items():
        monkeypatch.setenv(f"CLOSEDLOOP_{key}", value)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def spam_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None) -> Iterator[Settings]:
    settings = _home(tmp_path, monkeypatch, CANDIDATES='{"spam": ["baseline"]}')
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=300, n_spam=150)
    )
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def recsys_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None) -> Iterator[Settings]:
    settings = _home(tmp_path, monkeypatch, CANDIDATES='{"recsys": ["popularity", "knn"]}')
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml-100k.zip", n_users=80, n_items=60))
    yield settings
    get_settings.cache_clear()
