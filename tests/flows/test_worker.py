"""The worker for real: a Prefect server, the served deployments, and retrains started by events —
a drift event, then enough new consensus labels picked up by the label watcher."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from mlflow import MlflowClient

from closedloop import corpora, registry
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.platform.processes import free_port
from closedloop.registry import tracking
from closedloop.settings import Settings
from closedloop.store import open_store, upsert_consensus_label
from models.spam.corpus import message_text
from tests.factories import synthetic_message, synthetic_spam_corpus
from tests.kernel.store.factories import SPAM


def wait_for(predicate, *, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def trigger_of(client: MlflowClient, version: str) -> str | None:
    try:
        run_id = client.get_model_version("spam-filter", version).run_id
    except Exception:
        return None
    return client.get_run(run_id).data.tags.get("trigger")


def test_events_and_new_labels_trigger_retrains(tmp_path: Path):
    home, port = tmp_path / "home", free_port()
    settings = Settings(home=home, prefect_port=port, label_trigger_count=5, label_watch_seconds=15)
    corpora.fetch(settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLOSEDLOOP_"))},
        "CLOSEDLOOP_HOME": str(home),
        "CLOSEDLOOP_PREFECT_PORT": str(port),
        "CLOSEDLOOP_LABEL_TRIGGER_COUNT": "5",
        "CLOSEDLOOP_LABEL_WATCH_SECONDS": "15",
        "CLOSEDLOOP_CANDIDATES": '{"spam": ["baseline"]}',
        "CLOSEDLOOP_GATE_N_BOOTSTRAP": "500",
        # The server's scheduler looks for due runs every 60 s by default; the watcher runs every 15 s here.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    }
    log_path = tmp_path / "worker.log"
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    api = f"http://127.0.0.1:{port}/api"
    try:

        def served() -> bool:
            try:
                found = httpx.post(f"{api}/deployments/filter", json={}, timeout=5).json()
            except httpx.HTTPError:
                return False
            return {d["name"] for d in found} >= {"retrain-spam", "retrain-recsys", "watch-labels"}

        wait_for(served, timeout=150, what="the worker to serve its deployments")
        client = tracking.configure(settings)

        subprocess.run(
            [sys.executable, "-c",
             "from prefect.events import emit_event; emit_event(event='closedloop.drift.detected', "
             "resource={'prefect.resource.id': 'closedloop.model.spam-filter'})"],
            env={**env, "PREFECT_API_URL": api}, check=True, timeout=60,
        )  # fmt: skip
        assert wait_for(lambda: trigger_of(client, "1"), timeout=240, what="a drift-triggered retrain") == (
            "closedloop.drift.detected"
        )

        store = open_store(settings.store_url)
        rng = __import__("numpy").random.default_rng(3)
        with store.session() as session:
            for i in range(5):
                subject, body = synthetic_message(i % 2, rng)
                upsert_consensus_label(
                    session,
                    kind=SPAM,
                    label=i % 2,
                    source="annotation",
                    subject={"text": message_text(subject, body)},
                )
        store.close()
        assert wait_for(lambda: trigger_of(client, "2"), timeout=240, what="a label-triggered retrain") == (
            "closedloop.labels.threshold"
        )
        champion = registry.aliased_version(client, name="spam-filter", alias="champion")
        assert champion is not None and str(champion.version) == "1"  # v2 went through the gate as well
    except AssertionError as failure:
        server_log = home / "prefect" / "server.log"
        errors = [line for line in server_log.read_text(errors="replace").splitlines() if "ERROR" in line]
        tail = log_path.read_text(errors="replace").splitlines()[-40:]
        raise AssertionError(
            f"{failure}\nworker log:\n" + "\n".join(tail) + "\nserver errors:\n" + "\n".join(errors[-10:])
        ) from None
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()
    # The worker took its Prefect server down with it.
    wait_for(lambda: not _answers(api), timeout=30, what="the Prefect server to stop")


def _answers(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
