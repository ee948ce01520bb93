"""The whole loop, for real: Prefect server, worker and API as the processes `closedloop demo` starts (on free
ports, a temp home), first champions trained on the earlier half of the real corpora, then the later spam
messages replayed through the HTTP API with user feedback (`closedloop simulate`). Enough feedback becomes
labels, the label watcher's event starts a retrain through the deployment trigger, the gate decides, and the
API serves what the gate decided. No mocks anywhere."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from bench.harness import (
    Platform,
    deployment_flow_runs,
    leftover_processes,
    running_platform,
    served_version,
    version_tags,
    wait_for,
)
from closedloop import registry
from closedloop.orchestration import triggers
from closedloop.platform.processes import replay_service
from closedloop.serving.keys import ensure_keys
from closedloop.store import alias_history, open_store

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

TRIGGER = 100  # consensus labels (and, for the recommender, interactions) that start a retrain
REPLAYED = 130  # messages replayed, each with feedback: the threshold is crossed once, not twice
VISITS = 120  # recommender visits replayed: their ratings reach the interaction log through the API


def _data_dir(tmp_path: Path) -> Path:
    """One corpus cache shared by every run where CLOSEDLOOP_DATA_DIR names one, else a temp one."""
    configured = os.environ.get("CLOSEDLOOP_DATA_DIR")
    return Path(configured) if configured else tmp_path / "data"


def test_feedback_retrains_through_the_trigger_and_serving_follows(tmp_path: Path):
    started = time.monotonic()
    settings = {"label_trigger_count": str(TRIGGER), "gate_min_window": "20"}
    with running_platform(tmp_path, data_dir=_data_dir(tmp_path), settings=settings) as platform:
        try:
            _check_the_loop(platform)
            _check_the_recommender_loop(platform)
        except (AssertionError, httpx.HTTPError) as failure:
            logs = "\n".join(
                f"--- {name}:\n{platform.supervisor.tail(name, 30)}" for name in platform.supervisor.running
            )
            raise AssertionError(f"{failure}\n{logs}") from None
        supervisor = platform.supervisor
    assert leftover_processes(supervisor) == [], "every process (and its children) stopped"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{platform.ports.api_url}/healthz", timeout=2)
    print(f"end-to-end loop: {time.monotonic() - started:.0f} s")


def _check_the_loop(platform: Platform, *, patience: float = 1.0) -> None:
    """The spam loop on a running platform; `patience` scales the waits (slower stores and S3 take longer)."""
    api, client = platform.ports.api_url, platform.mlflow
    name = registry.registered_name("spam")
    assert served_version(api, "spam") == "1", "the first champion, trained on the earlier half, is served"

    replay = replay_service("spam", platform.ports, limit=REPLAYED, rate=0, feedback_rate=1.0)
    platform.start(replay)
    replayed = platform.supervisor.running[replay.name].wait(timeout=180 * patience)
    assert replayed == 0, platform.supervisor.tail(replay.name)

    # The label watcher turned the feedback into labels and fired the event; the deployment trigger
    # started a retrain whose run records the event as its trigger.
    tags = wait_for(
        lambda: version_tags(client, name, "2"),
        timeout=240 * patience,
        what="spam-filter v2 from the label trigger",
    )
    assert tags["trigger"] == triggers.LABELS_EVENT
    runs = [
        run
        for run in deployment_flow_runs(platform.ports.prefect_api_url, "retrain-spam")
        if run["parameters"].get("reason") == triggers.LABELS_EVENT
    ]
    assert len(runs) == 1, "one burst of labels starts one retrain"
    assert int(tags["lineage.feedback_last_label_id"]) >= TRIGGER * 0.8, "the retrain saw the new labels"
    final = wait_for(
        lambda: _finished(platform, runs[0]["id"]), timeout=240 * patience, what="the retrain run to end"
    )
    assert final == "COMPLETED"

    # The gate decided, and the decision is recorded on the version and in the alias audit log.
    tags = version_tags(client, name, "2") or {}
    decision = tags["gate.decision"]
    assert decision in {"promote", "refuse"}
    assert tags["gate.reason"].startswith("promoted" if decision == "promote" else "refused")
    expected = "2" if decision == "promote" else "1"
    champion = registry.aliased_version(client, name=name, alias="champion")
    assert champion is not None and str(champion.version) == expected
    store = open_store(platform.settings.store_url)
    try:
        with store.session() as session:
            moves = alias_history(session, registered_model=name)
    finally:
        store.close()
    assert any(m.alias == "challenger" and m.to_version == "2" for m in moves), (
        "the challenger move is audited"
    )
    assert any(m.alias == "champion" and m.to_version == "2" for m in moves) == (decision == "promote")

    # Serving followed: the API's hot reload serves the gate's choice.
    assert wait_for(
        lambda: served_version(api, "spam") == expected or None,
        timeout=60,
        what=f"the API to serve v{expected}",
    )
    key = ensure_keys(platform.settings)[0].secret  # the client key the platform's home holds
    answer = httpx.post(
        f"{api}/v1/spam/predict",
        json={"subject": "hello", "body": "lunch at noon?"},
        headers={"X-API-Key": key},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["model_version"] == expected


def _finished(platform: Platform, flow_run_id: str) -> str | None:
    run = httpx.get(f"{platform.ports.prefect_api_url}/flow_runs/{flow_run_id}", timeout=10).json()
    state = str(run["state"]["type"])
    return state if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None


def _check_the_recommender_loop(platform: Platform) -> None:
    """Visits replayed through the API log their ratings as interactions; the watcher counts them and fires
    the trigger; the retrain judges its challenger on the newest interactions; serving follows."""
    api, client = platform.ports.api_url, platform.mlflow
    name = registry.registered_name("recsys")
    assert served_version(api, "recsys") == "1"
    replay = replay_service("recsys", platform.ports, limit=VISITS, rate=0, feedback_rate=1.0)
    platform.start(replay)
    assert platform.supervisor.running[replay.name].wait(timeout=180) == 0, platform.supervisor.tail(
        replay.name
    )
    tags = wait_for(
        lambda: version_tags(client, name, "2"), timeout=240, what="recommender v2 from the label trigger"
    )
    assert tags["trigger"] == triggers.LABELS_EVENT
    assert int(tags["lineage.interactions_last_id"]) >= TRIGGER, "the retrain read the logged interactions"
    runs = [
        run
        for run in deployment_flow_runs(platform.ports.prefect_api_url, "retrain-recsys")
        if run["parameters"].get("reason") == triggers.LABELS_EVENT
    ]
    final = wait_for(lambda: _finished(platform, runs[-1]["id"]), timeout=240, what="the recsys retrain")
    assert final == "COMPLETED"
    tags = version_tags(client, name, "2") or {}
    assert tags["gate.decision"] in {"promote", "refuse"}
    assert json.loads(tags["gate.metrics"])["slice"] == "window", "judged on the newest interactions"
    champion = registry.aliased_version(client, name=name, alias="champion")
    assert champion is not None
    expected = str(champion.version)
    assert wait_for(
        lambda: served_version(api, "recsys") == expected or None, timeout=60, what=f"recommender v{expected}"
    )
