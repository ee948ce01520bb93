"""Labeling kernel tests run on SQLite and PostgreSQL through tests/kernel/conftest.py; here: users and
cheap password hashes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from closedloop.labeling import Role, UserRecord, create_user
from closedloop.settings import get_settings


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2's smallest allowed memory cost: the same code path, a fraction of the time on 2 cores."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", "8192")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def make_user(session: Session) -> Callable[..., UserRecord]:
    """`make_user("ann")` -> an enabled annotator with password "correct horse"."""

    def make(name: str, role: Role = "annotator") -> UserRecord:
        return create_user(session, username=name, password="correct horse", role=role)

    return make
