"""The labeling UI against the real app (API factory, TestClient) over a real SQLite store in a temp home:
users with each role, and a spam queue refilled by the kernel from logged predictions."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from closedloop.labeling import create_user, refill_queue
from closedloop.registry import tracking
from closedloop.settings import Settings, get_settings
from closedloop.store import Store, open_store
from models.labeling import QueuePolicy
from services.api import create_app
from tests.kernel.store.factories import logged, spam_prediction

PASSWORD = "correct horse battery"
HASH_MEMORY_KIB = 8192
USERS = {"alice": "annotator", "bob": "annotator", "carol": "adjudicator", "root": "admin"}
HOSTILE_BODY = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">Hi & bye'
# Scores near the threshold first: the queue serves the most uncertain message first.
MESSAGES = [
    ("Cheap loans today", "Apply now, no checks.", 0.52),
    ("Re: build failure", "The nightly build broke on trunk.", 0.45),
    ("<b>Prize</b> inside", HOSTILE_BODY, 0.60),
]
Login = Callable[[str], TestClient]


@pytest.fixture(scope="session")
def empty_registry(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An MLflow store with no models, created once: its schema migration took ~12 s per test on a busy
    machine, and the app's model reloader waits for it on shutdown. Nothing writes to it."""
    settings = Settings(home=tmp_path_factory.mktemp("registry"))
    tracking.configure(settings).search_registered_models()
    return settings.tracking_uri


@pytest.fixture
def label_settings(home: Path, empty_registry: str) -> Settings:
    return Settings(home=home, reload_seconds=3600, mlflow_tracking_uri=empty_registry)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2 at its smallest allowed memory cost: 64 MiB per hash took seconds on the shared test machine."""
    monkeypatch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", str(HASH_MEMORY_KIB))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def users_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated store holding USERS, built once (argon2 hashing and migrations are the slow part); each
    test gets a copy."""
    path = tmp_path_factory.mktemp("users") / "feedback.db"
    store = open_store(f"sqlite:///{path}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLOSEDLOOP_LABELING_HASH_MEMORY_KIB", str(HASH_MEMORY_KIB))
        get_settings.cache_clear()
        try:
            with store.session() as session:
                for name, role in USERS.items():
                    create_user(session, username=name, password=PASSWORD, role=role)  # type: ignore[arg-type]
        finally:
            store.close()
            get_settings.cache_clear()
    return path


@pytest.fixture
def store(label_settings: Settings, users_db: Path) -> Iterator[Store]:
    label_settings.home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(users_db, label_settings.home / "feedback.db")
    store = open_store(label_settings.store_url)
    yield store
    store.close()


@pytest.fixture
def queued(store: Store) -> int:
    """Three spam messages in the queue, in MESSAGES order."""
    with store.session() as session:
        logged(session, *(spam_prediction(subject=s, body=b, score=p) for s, b, p in MESSAGES))
        return refill_queue(
            session, model="spam", policy=QueuePolicy(batch_size=10, random_share=0.0, seed=0)
        )


@pytest.fixture
def app(label_settings: Settings) -> FastAPI:
    return create_app(label_settings)


@pytest.fixture
def app_client(app: FastAPI, store: Store) -> Iterator[TestClient]:
    """An anonymous client; it also runs the app's lifespan (the runtime) for the clients `login` makes."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def login(app: FastAPI, app_client: TestClient) -> Login:
    """`login(name)`: a client of the same running app with its own cookie jar, logged in as `name`."""

    def open_as(name: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        answer = log_in(client, name, PASSWORD)
        assert answer.status_code == 303, answer.text
        return client

    return open_as


def form_token(page: str) -> str:
    """The CSRF token of the first form on an HTML page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    token = form_token(client.get("/label/login").text)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/label/login", data=data, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    """The logged-in session's CSRF token, as the page hands it to its script."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/label").text)
    assert match, "no CSRF meta tag: not logged in?"
    return match.group(1)
