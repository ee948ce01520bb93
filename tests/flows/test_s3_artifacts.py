"""Artefacts in S3 for real: SeaweedFS's S3 gateway on loopback, an MLflow tracking server whose artefacts go
to a bucket there, and the whole retrain → register → gate → serve path talking to that server over HTTP
only (this process has no S3 credentials). The bucket is then listed through the S3 API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from closedloop import corpora, registry
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.registry import tracking
from closedloop.settings import Settings, get_settings
from flows.retrain import retrain
from services.api import create_app
from tests.factories import CLIENT_KEY, synthetic_spam_corpus, write_api_keys
from tests.flows.test_retrain import add_labels
from tests.s3 import S3, mlflow_server, seaweedfs

# Two retrains through an MLflow server: minutes, and more than the default 600 s timeout on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
def s3_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None
) -> Iterator[tuple[Settings, S3]]:
    """A home whose tracking URI is an MLflow server on SQLite with its artefacts in SeaweedFS."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)  # only the server may reach the bucket
    with (
        seaweedfs(tmp_path / "seaweedfs") as s3,
        mlflow_server(tmp_path / "mlflow", backend_store_uri=f"sqlite:///{tmp_path}/mlflow.db", s3=s3) as url,
    ):
        monkeypatch.setenv("CLOSEDLOOP_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("CLOSEDLOOP_GATE_N_BOOTSTRAP", "500")
        monkeypatch.setenv("CLOSEDLOOP_CANDIDATES", '{"spam": ["baseline"]}')
        monkeypatch.setenv("CLOSEDLOOP_MLFLOW_TRACKING_URI", url)
        get_settings.cache_clear()
        settings = get_settings()
        source = synthetic_spam_corpus(tmp_path / "corpus", n_ham=300, n_spam=150)
        corpora.fetch(settings, SPAM_ASSASSIN, source=source)
        yield settings, s3
        get_settings.cache_clear()


def test_retrain_gate_and_serving_go_through_the_server_and_the_artefacts_live_in_the_bucket(
    s3_home: tuple[Settings, S3],
):
    settings, s3 = s3_home
    started = time.monotonic()
    first = retrain(model="spam", reason="test")
    assert first.promoted and first.version == "1", first.reason
    add_labels(settings, 120, seed=5)
    second = retrain(model="spam", reason="test")
    assert second.version == "2"
    client = tracking.configure(settings)
    tags = client.get_run(client.get_model_version("spam-filter", "2").run_id).data.tags
    assert tags["gate.decision"] in {"promote", "refuse"}, "the gate decided on the server's registry"
    champion = registry.aliased_version(client, name="spam-filter", alias="champion")
    assert champion is not None
    expected = str(champion.version)

    # Every registered version's model (its MLmodel and pickled pipeline) is an object in the bucket, and
    # no artefact was written under the home.
    keys = s3.keys("mlflow/")
    for version in ("1", "2"):
        found = client.get_model_version("spam-filter", version)
        # MLflow 3 keeps a logged model under models/<model id>/ (its source is models:/<model id>), an older
        # layout under the run's folder.
        owners = {found.model_id, found.run_id, str(found.source).rsplit("/", 1)[-1]} - {None, ""}
        files = [key for key in keys if any(f"/{owner}/" in key for owner in owners)]
        assert any(key.endswith("/MLmodel") for key in files), (version, owners, "\n".join(keys))
    assert not settings.artifact_root.exists() or not any(settings.artifact_root.rglob("*"))

    # The API, in a fresh home with an empty cache, loads the champion through the server and serves it.
    write_api_keys(settings.home)
    with TestClient(create_app(settings.model_copy(update={"reload_seconds": 3600}))) as api:
        deadline = time.monotonic() + 180  # models load in the background after start-up
        while not _serves(api, expected):
            assert time.monotonic() < deadline, api.get("/v1/models").json()
            time.sleep(0.5)
        message = {"subject": "hello", "body": "lunch at noon?"}
        answer = api.post("/v1/spam/predict", json=message, headers={"X-API-Key": CLIENT_KEY})
        assert answer.status_code == 200 and answer.json()["model_version"] == expected
    cached = list(settings.model_cache_dir.rglob("MLmodel"))
    assert cached, "the served artefact came down from the server into the model cache"
    size = sum(item["Size"] for item in s3.objects("mlflow/"))
    print(
        f"S3 path: {len(keys)} objects ({size / 1e6:.1f} MB) in s3://{s3.bucket}/mlflow, "
        f"champion v{expected}, {time.monotonic() - started:.0f} s"
    )


def _serves(api: TestClient, version: str) -> bool:
    models = api.get("/v1/models").json()["models"]
    return any(m["kind"] == "spam" and str(m["version"]) == version for m in models)
