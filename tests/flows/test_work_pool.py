"""Flow runs spread over a Prefect work pool of two process workers (tests/flows/pool.py sets it up the way a
user would, from infra/prefect/): events reach whichever worker is free, two retrains of one kind never
overlap, a retrain whose worker is SIGKILLed is marked crashed and retried to the end on the other worker
while the champion stays, and so is one whose machine is lost (worker and flow process both killed)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import numpy as np
import pytest
from mlflow import MlflowClient

from bench.harness import wait_for
from closedloop import corpora, registry
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.orchestration import triggers
from closedloop.registry import tracking
from closedloop.store import open_store, upsert_consensus_label
from models.spam.corpus import message_text
from tests.factories import grouplens_zip, synthetic_message, synthetic_spam_corpus
from tests.flows.pool import WorkPool, work_pool
from tests.kernel.store.factories import SPAM

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # the pool takes minutes to start here

RUN_TIMEOUT = 300  # one retrain on the small corpora takes well under a minute; the machine may be busy


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkPool]:
    root = tmp_path_factory.mktemp("work-pool")
    home = root / "home"
    env = {
        "CLOSEDLOOP_HOME": str(home),
        "CLOSEDLOOP_LABEL_TRIGGER_COUNT": "5",
        "CLOSEDLOOP_CANDIDATES": '{"spam": ["baseline"], "recsys": ["popularity"]}',
        "CLOSEDLOOP_GATE_N_BOOTSTRAP": "500",
    }
    for found in work_pool(root, closedloop_env=env):
        corpora.fetch(found.settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(root / "corpus"))
        corpora.fetch(
            found.settings, MOVIELENS, source=grouplens_zip(root / "ml.zip", n_users=80, n_items=60)
        )
        # As a deployment does before its workers start: the stores exist, so two flow runs starting at
        # once never both create the SQLite tracking store's tables ("table scorers already exists").
        open_store(found.settings.store_url).close()
        tracking.configure(found.settings).search_experiments()
        yield found


def champion(client: MlflowClient, model: str) -> str | None:
    found = registry.aliased_version(client, name=registry.registered_name(model), alias=registry.CHAMPION)
    return None if found is None else str(found.version)


def completed(pool: WorkPool, run_id: str) -> dict:  # type: ignore[type-arg]
    run = wait_for(lambda: pool.finished(run_id), timeout=RUN_TIMEOUT, what=f"flow run {run_id}")
    assert run["state_type"] == "COMPLETED", (
        f"{run['state_name']}: {run['state']['message']}\n{pool.describe()}"
    )
    return run  # type: ignore[no-any-return]


def triggered_run(pool: WorkPool, deployment: str, reason: str) -> dict | None:  # type: ignore[type-arg]
    return next((r for r in pool.runs(deployment) if r["parameters"].get("reason") == reason), None)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def test_drift_and_label_events_reach_whichever_worker_is_free(pool: WorkPool):
    # Drift on both models at once (as the monitors report it): two retrains, one on each worker.
    for model in ("spam", "recsys"):
        pool.emit(triggers.DRIFT_EVENT, triggers.resource_id(model))
    on_drift = [
        wait_for(lambda d=d: triggered_run(pool, d, triggers.DRIFT_EVENT), timeout=60, what=f"{d} on drift")
        for d in ("retrain-spam", "retrain-recsys")
    ]
    for run in on_drift:
        completed(pool, run["id"])
    workers = [pool.ran_on(run["id"]) for run in on_drift]
    assert all(len(names) == 1 for names in workers) and workers[0] != workers[1], workers

    # Enough new labels: the label watcher, itself a run on the pool, fires the label trigger.
    rng = np.random.default_rng(3)
    store = open_store(pool.settings.store_url)
    with store.session() as session:
        for i in range(5):
            subject, body = synthetic_message(i % 2, rng)
            text = message_text(subject, body)
            upsert_consensus_label(
                session, kind=SPAM, label=i % 2, source="annotation", subject={"text": text}
            )
    store.close()
    pool.start_run("watch-labels/watch-labels")  # or its schedule's next run, whichever comes first
    on_labels = wait_for(
        lambda: triggered_run(pool, "retrain-spam", triggers.LABELS_EVENT),
        timeout=120,
        what="the label trigger",
    )
    completed(pool, on_labels["id"])
    assert len(pool.ran_on(on_labels["id"])) == 1
    client = tracking.configure(pool.settings)
    assert champion(client, "recsys") == "1" and champion(client, "spam") is not None


def test_two_retrains_of_one_kind_never_overlap(pool: WorkPool):
    first = pool.start_run("retrain/retrain-spam", model="spam", reason="manual")
    second = pool.start_run("retrain/retrain-spam", model="spam", reason="manual")
    runs = sorted((completed(pool, r) for r in (first, second)), key=lambda r: r["start_time"])
    gap = _seconds(runs[1]["start_time"]) - _seconds(runs[0]["end_time"])
    assert gap >= 0, runs
    print(f"second retrain started {gap:.1f} s after the first ended")
    # Both workers were free: the second run waited for the first's slot, not for a worker.
    assert "AwaitingConcurrencySlot" in pool.states(runs[1]["id"]), pool.states(runs[1]["id"])


def test_a_worker_killed_mid_retrain_crashes_the_run_and_the_other_worker_retries_it(pool: WorkPool):
    client = tracking.configure(pool.settings)
    if champion(client, "spam") is None:  # run alone: make the champion the killed retrain must not touch
        completed(pool, pool.start_run("retrain/retrain-spam", model="spam", reason="manual"))
    before = champion(client, "spam")
    run_id = pool.start_run("retrain/retrain-spam", model="spam", reason="manual")
    # Mid-run: its data is snapshotted and the candidates are training.
    wait_for(
        lambda: _task_done(pool, run_id, "snapshot-and-validate"), timeout=RUN_TIMEOUT, what="the snapshot"
    )
    (victim,) = pool.ran_on(run_id)
    (survivor,) = set(pool.workers) - {victim}
    pool.kill_worker(victim)
    killed_at = time.time()

    def crashed_then_running() -> bool:
        assert champion(client, "spam") == before  # untouched while the run is dead or being retried
        return "Crashed" in pool.states(run_id) and pool.run(run_id)["state_type"] != "CRASHED"

    wait_for(crashed_then_running, timeout=240, what="the run to be marked crashed and retried", every=2)
    run = completed(pool, run_id)
    assert run["run_count"] == 2, run["run_count"]
    assert pool.ran_on(run_id) == {victim, survivor}  # the second attempt went to the other worker
    history = pool.history(run_id)
    states = [s["name"] for s in history]
    assert states.index("Crashed") < states.index("AwaitingRetry") < len(states) - 1, states
    crashed = history[states.index("Crashed")]
    print(
        f"marked crashed {_seconds(crashed['timestamp']) - killed_at:.0f} s after the SIGKILL "
        f"({crashed['message']!r}); the retry ended {_seconds(run['end_time']) - killed_at:.0f} s after it"
        f"; states {states}"
    )


def _task_done(pool: WorkPool, run_id: str, task: str) -> bool:
    body = {"flow_runs": {"id": {"any_": [run_id]}}, "task_runs": {"name": {"like_": task}}}
    found = httpx.post(f"{pool.api}/task_runs/filter", json=body, timeout=10).json()
    return any(t["state_type"] == "COMPLETED" for t in found)


def test_a_lost_machine_leaves_a_zombie_run_that_the_heartbeat_automation_crashes_and_retries(pool: WorkPool):
    client = tracking.configure(pool.settings)
    if champion(client, "spam") is None:
        completed(pool, pool.start_run("retrain/retrain-spam", model="spam", reason="manual"))
    before = champion(client, "spam")
    run_id = pool.start_run("retrain/retrain-spam", model="spam", reason="manual")
    snapshotted = lambda: _task_done(pool, run_id, "snapshot-and-validate")  # noqa: E731
    wait_for(snapshotted, timeout=RUN_TIMEOUT, what="the snapshot")
    (victim,) = pool.ran_on(run_id)
    flow_pid = int(str(pool.run(run_id)["infrastructure_pid"]).rsplit(":", 1)[-1])
    os.killpg(os.getpgid(flow_pid), signal.SIGKILL)  # the flow run's process and the worker: nobody reports
    pool.kill_worker(victim)
    killed_at = time.time()
    if not any(w.poll() is None for w in pool.workers.values()):
        pool.start_worker("worker-c")  # the pool's other machine
    wait_for(lambda: champion(client, "spam") == before and "Crashed" in pool.states(run_id), timeout=300,
             what="the zombie run to be marked crashed", every=3)  # fmt: skip
    run = completed(pool, run_id)
    history = pool.history(run_id)
    crashed = next(s for s in history if s["name"] == "Crashed")
    assert run["run_count"] == 2 and "heartbeat" in str(crashed["message"]), (run["run_count"], crashed)
    print(f"zombie marked crashed {_seconds(crashed['timestamp']) - killed_at:.0f} s after the SIGKILL")
