"""Crash durability for real: `closedloop serve` on SQLite is SIGKILLed under feedback load and restarted;
every event that was acknowledged (202) is in the store exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from closedloop.platform.processes import free_port
from closedloop.store import open_store
from tests.factories import CLIENT_KEY

pytestmark = pytest.mark.slow


AUTH = {"X-API-Key": CLIENT_KEY}  # the model home's trusted client key: writes need one


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never became ready")


def test_acknowledged_feedback_survives_sigkill(serving_home: Path, tmp_path: Path):
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(serving_home, port, log)
    acked: list[str] = []
    try:
        wait_ready(base, server)
        with httpx.Client(base_url=base, headers=AUTH) as client:
            pids = [
                client.post("/v1/spam/predict", json={"text": f"m{i}"}).json()["prediction_id"]
                for i in range(20)
            ]

        def send(worker: int) -> None:
            with httpx.Client(base_url=base, headers=AUTH, timeout=5) as client:
                for i in range(100_000):
                    event_id = f"w{worker}-{i}"
                    body = {"event_id": event_id, "prediction_id": pids[i % 20], "kind": "report_spam"}
                    try:
                        response = client.post("/v1/feedback", json=body)
                    except httpx.TransportError:
                        return  # the server is gone: this event was never acknowledged
                    if response.status_code == 202:
                        acked.append(event_id)

        senders = [threading.Thread(target=send, args=(w,)) for w in range(6)]
        for thread in senders:
            thread.start()
        time.sleep(1.5)
        server.send_signal(signal.SIGKILL)  # mid-load: no shutdown, no flush
        server.wait()
        for thread in senders:
            thread.join()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert len(acked) > 100, log.read_text()[-3000:]

    restarted = start_server(serving_home, port, log)
    try:
        wait_ready(base, restarted)
        replay = httpx.post(
            headers=AUTH,
            url=f"{base}/v1/feedback",
            json={"event_id": acked[0], "prediction_id": pids[0], "kind": "report_spam"},
        )
        assert replay.status_code == 200  # the restarted server sees it as already stored
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    store = open_store(f"sqlite:///{serving_home / 'feedback.db'}")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT event_id FROM feedback_events")).scalars().all()
    store.close()
    assert len(stored) == len(set(stored))  # exactly once
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events were lost, e.g. {sorted(missing)[:5]}"


def test_acknowledged_interactions_survive_sigkill(serving_home: Path, tmp_path: Path):
    """Singles and batches under load, then SIGKILL: every acknowledged event is stored exactly once, and
    every batch, acknowledged or not, is stored whole or not at all."""
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(serving_home, port, log)
    acked: list[str] = []
    batches: list[list[str]] = []

    def send(worker: int) -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=5) as client:
            for i in range(100_000):
                events = [
                    {"event_id": f"w{worker}-{i}-{j}", "user_id": worker, "item_id": 10, "kind": "click"}
                    for j in range(1 if worker % 2 else 5)  # odd workers post singles, even ones batches of 5
                ]
                ids = [e["event_id"] for e in events]
                batches.append(ids)
                try:
                    if len(events) == 1:
                        response = client.post("/v1/interactions", json=events[0])
                    else:
                        response = client.post("/v1/interactions:batch", json={"events": events})
                except httpx.TransportError:
                    return  # the server is gone: these events were never acknowledged
                if response.status_code == 202:
                    acked.extend(ids)

    try:
        wait_ready(base, server)
        senders = [threading.Thread(target=send, args=(w,)) for w in range(6)]
        for thread in senders:
            thread.start()
        time.sleep(1.5)
        server.send_signal(signal.SIGKILL)  # mid-load: no shutdown, no flush
        server.wait()
        for thread in senders:
            thread.join()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert len(acked) > 100, log.read_text()[-3000:]

    restarted = start_server(serving_home, port, log)
    try:
        wait_ready(base, restarted)
        worker = acked[0].split("-")[0]
        replay = httpx.post(
            headers=AUTH,
            url=f"{base}/v1/interactions",
            json={"event_id": acked[0], "user_id": int(worker[1:]), "item_id": 10, "kind": "click"},
        )
        assert replay.status_code == 200, replay.text  # the restarted server sees it as already stored
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    store = open_store(f"sqlite:///{serving_home / 'feedback.db'}")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT event_id FROM interactions")).scalars().all()
    store.close()
    assert len(stored) == len(set(stored))  # exactly once
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events were lost, e.g. {sorted(missing)[:5]}"
    kept = set(stored)
    torn = [batch for batch in batches if 0 < len(kept.intersection(batch)) < len(batch)]
    assert not torn, f"{len(torn)} batches were stored in part, e.g. {torn[:3]}"


def test_returned_prediction_ids_survive_sigkill(serving_home: Path, tmp_path: Path):
    """A batch of 1,000 predictions, then singles under load, then SIGKILL: every prediction id the server
    returned is in the store, and feedback on a sample of them is accepted by the restarted server."""
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(serving_home, port, log)
    returned: list[str] = []

    def send(worker: int) -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=5) as client:
            for i in range(100_000):
                try:
                    response = client.post("/v1/spam/predict", json={"text": f"w{worker} message {i}"})
                except httpx.TransportError:
                    return
                if response.status_code == 200:
                    returned.append(response.json()["prediction_id"])

    try:
        wait_ready(base, server, timeout=240)
        items = [{"text": f"batch message {i}"} for i in range(1000)]
        batch = httpx.post(
            headers=AUTH, url=f"{base}/v1/spam/predict:batch", json={"items": items}, timeout=30
        )
        returned.extend(p["prediction_id"] for p in batch.json()["predictions"])
        senders = [threading.Thread(target=send, args=(w,)) for w in range(4)]
        for thread in senders:
            thread.start()
        time.sleep(2.0)
        server.send_signal(signal.SIGKILL)  # no shutdown: whatever was only queued is gone
        server.wait()
        for thread in senders:
            thread.join()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert len(returned) >= 1000, log.read_text()[-3000:]
    store = open_store(f"sqlite:///{serving_home / 'feedback.db'}")
    with store.engine.connect() as connection:
        stored = set(connection.execute(text("SELECT id FROM predictions")).scalars().all())
    store.close()
    lost = [pid for pid in returned if pid not in stored]
    assert not lost, f"{len(lost)} of {len(returned)} returned prediction ids were lost, e.g. {lost[:3]}"

    restarted = start_server(serving_home, port, log)
    try:
        wait_ready(base, restarted, timeout=240)
        with httpx.Client(base_url=base, headers=AUTH, timeout=10) as client:
            answers = [
                client.post(
                    "/v1/feedback",
                    json={"event_id": f"fb-{pid}", "prediction_id": pid, "kind": "report_spam"},
                ).status_code
                for pid in random.Random(0).sample(returned, 100)
            ]
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    assert answers.count(202) == len(answers) == 100
