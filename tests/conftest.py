"""Shared fixtures: every test gets its own CLOSEDLOOP_HOME in a temp dir, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop.settings import Settings, get_settings


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-corpus", action="store_true", help="run tests that fetch the real corpora")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-corpus") or os.environ.get("CLOSEDLOOP_RUN_CORPUS") == "1":
        return
    skip = pytest.mark.skip(
        reason="fetches the real corpora: pass --run-corpus or set CLOSEDLOOP_RUN_CORPUS=1"
    )
    for item in items:
        if "corpus" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CLOSEDLOOP_HOME for this test, also seen by code that reads settings from the environment."""
    path = tmp_path / "home"
    monkeypatch.setenv("CLOSEDLOOP_HOME", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)
