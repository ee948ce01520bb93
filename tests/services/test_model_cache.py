"""The model cache under damage and an unreachable registry: a corrupted cached model is fetched again
(its checksums say so), and a server whose MLflow does not answer serves its cache within seconds, with an
admin reload that answers meanwhile."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from closedloop.platform.processes import free_port
from closedloop.serving.cache import MANIFEST, ModelCache
from closedloop.settings import Settings
from services.api import create_app
from tests.services.conftest import open_client, wait_ready

SPAM_CACHE = Path("cache") / "models" / "spam-filter" / "1"


def warm_cache(home: Path) -> Path:
    """Serve `home` once, so that its champions are in HOME/cache/models; the spam champion's directory."""
    with open_client(create_app(Settings(home=home))) as client:
        wait_ready(client)
    cached = home / SPAM_CACHE
    assert (cached / MANIFEST).is_file()
    return cached


def corrupt(cached: Path) -> Path:
    [pickled] = cached.rglob("python_model.pkl")
    pickled.write_bytes(b"not a pickle")
    return pickled


def test_a_corrupted_cached_model_is_fetched_again(serving_home: Path, caplog: pytest.LogCaptureFixture):
    cached = warm_cache(serving_home)
    pickled = corrupt(cached)
    caplog.set_level(logging.INFO)
    settings = Settings(home=serving_home, reload_seconds=2)
    with open_client(create_app(settings)) as client:
        started = time.monotonic()
        wait_ready(client, timeout=60)
        ready_after = time.monotonic() - started
        served = {m["kind"]: m for m in client.get("/v1/models").json()["models"]}
        assert served["spam"]["version"] == "1" and served["spam"]["source"] == "mlflow"
        assert client.post("/v1/spam/predict", json={"text": "free money"}).status_code == 200
    assert ready_after < 30, ready_after  # the first check repairs it: well within one reload period + start
    assert pickled.read_bytes() != b"not a pickle"
    assert ModelCache(serving_home / "cache" / "models").damage("spam-filter", "1") == []
    assert "cached spam-filter v1 is damaged" in caplog.text
    assert f"{pickled.relative_to(cached).as_posix()} (changed)" in caplog.text
    assert "still serving the previous version" not in caplog.text


def test_a_damaged_cache_is_not_served_while_the_registry_is_down(
    serving_home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    corrupt(warm_cache(serving_home))
    down = Settings(home=serving_home, mlflow_tracking_uri=f"sqlite:///{tmp_path}/unreachable/dir/m.db")
    caplog.set_level(logging.INFO)
    with open_client(create_app(down)) as client:
        deadline = time.monotonic() + 60
        while "recsys" in client.get("/readyz").json().get("missing", ["recsys"]):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert client.get("/readyz").json() == {"status": "loading", "missing": ["spam"]}
    assert "cached v1 is damaged (python_model.pkl (changed))" in caplog.text
    assert "UnpicklingError" not in caplog.text


@pytest.fixture
def silent_mlflow() -> Iterator[str]:
    """An MLflow URL whose server accepts connections and never answers (the worst case: every request
    waits out its timeout, unlike a refused connection)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.slow
def test_serves_from_cache_within_seconds_when_mlflow_does_not_answer(
    serving_home: Path, tmp_path: Path, silent_mlflow: str
):
    warm_cache(serving_home)
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CLOSEDLOOP_HOME": str(serving_home),
        "CLOSEDLOOP_MLFLOW_TRACKING_URI": silent_mlflow,
        "CLOSEDLOOP_ADMIN_API_KEYS": '["admin"]',
    }
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = None
        with httpx.Client(base_url=base, timeout=60) as client:
            while started is None:
                assert server.poll() is None, log.read_text()[-3000:]
                try:
                    client.get("/healthz")
                    started = time.monotonic()
                except httpx.TransportError:
                    time.sleep(0.05)
            reload_sent = time.monotonic()
            reload = client.post("/v1/admin/reload", headers={"X-API-Key": "admin"})
            reload_took = time.monotonic() - reload_sent
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() - started < 30, log.read_text()[-3000:]
                time.sleep(0.1)
            ready_after = time.monotonic() - started
            served = {m["kind"]: m["source"] for m in client.get("/v1/models").json()["models"]}
            later = client.post("/v1/admin/reload", headers={"X-API-Key": "admin"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    logged = [line[:200] for line in log.read_text().splitlines() if "closedloop" in line]
    assert ready_after < 10, (ready_after, logged)
    assert served == {"spam": "cache", "recsys": "cache"}
    assert reload.status_code in (409, 503) and reload_took < 10, (reload.status_code, reload_took)
    detail = reload.json()["detail"]  # the start-up check is running, or (if ours came first) it failed
    assert "already running" in detail or "registry is unreachable" in detail, detail
    assert "Retry-After" in reload.headers
    assert later.status_code == 503 and "registry is unreachable" in later.json()["detail"]
