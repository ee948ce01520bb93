"""A Prefect work pool as a user sets one up: `prefect server start` on a fresh PostgreSQL database, `prefect
work-pool create`, `prefect deploy` from infra/prefect/prefect.yaml, `prefect automation create` from
infra/prefect/automations.yaml, and two `prefect worker start` processes that take one run at a time."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.harness import wait_for
from closedloop.orchestration import healthy, prefect_server_command
from closedloop.platform.processes import free_port
from closedloop.settings import Settings
from tests.postgres import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]
POOL = "closedloop"  # the work pool infra/prefect/prefect.yaml names


@dataclass
class WorkPool:
    api: str
    env: dict[str, str]  # what a worker (and so each flow run) sees
    settings: Settings
    logs: dict[str, Path]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def runs(self, deployment: str) -> list[dict[str, Any]]:
        """Flow runs of one deployment, oldest first, as the Prefect API reports them."""
        body = {"deployments": {"name": {"any_": [deployment]}}, "sort": "EXPECTED_START_TIME_ASC"}
        found: list[dict[str, Any]] = httpx.post(f"{self.api}/flow_runs/filter", json=body, timeout=10).json()
        return found

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{self.api}/flow_runs/{run_id}", timeout=10).json()
        return found

    def history(self, run_id: str) -> list[dict[str, Any]]:
        """Every state the run went through, in order."""
        found = httpx.get(f"{self.api}/flow_run_states/", params={"flow_run_id": run_id}, timeout=10).json()
        return sorted(found, key=lambda s: s["timestamp"])

    def states(self, run_id: str) -> list[str]:
        return [s["name"] for s in self.history(run_id)]

    def start_run(self, deployment: str, **parameters: Any) -> str:
        """Ask for a run of deployment `flow/name`, as `prefect deployment run flow/name` does."""
        found = httpx.get(f"{self.api}/deployments/name/{deployment}", timeout=10)
        found.raise_for_status()
        created = httpx.post(
            f"{self.api}/deployments/{found.json()['id']}/create_flow_run",
            json={"parameters": parameters},
            timeout=10,
        )
        created.raise_for_status()
        return str(created.json()["id"])

    def emit(self, event: str, resource_id: str) -> None:
        """An event as an emitter outside Prefect's client would send it (the monitor sends the same)."""
        body = [
            {
                "id": str(uuid.uuid4()),
                "occurred": datetime.now(UTC).isoformat(),
                "event": event,
                "resource": {"prefect.resource.id": resource_id},
            }
        ]
        httpx.post(f"{self.api}/events", json=body, timeout=10).raise_for_status()

    def finished(self, run_id: str) -> dict[str, Any] | None:
        run = self.run(run_id)
        return run if run["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

    def ran_on(self, run_id: str) -> set[str]:
        """The workers whose log says they took this run: both may try to submit it, and the one whose
        proposal the server refuses logs "Aborted submission" (it never ran the run)."""
        took = f"submitting flow run '{run_id}'"
        aborted = f"Aborted submission of flow run '{run_id}'"
        logs = {name: log.read_text(errors="replace") for name, log in self.logs.items()}
        return {name for name, text in logs.items() if took in text and aborted not in text}

    def start_worker(self, name: str) -> None:
        self.logs[name] = self.settings.home.parent / f"{name}.log"
        command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name]
        with self.logs[name].open("ab") as log:  # the worker keeps its own copy of the descriptor
            self.workers[name] = subprocess.Popen(
                [*command, "--limit", "1"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group (Prefect starts each flow run in another)
            )

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker and every process of its group. The flow run it executes is a process of its
        own session: it finds its worker gone and ends itself as Crashed."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait(timeout=30)

    def describe(self) -> str:
        tails = [
            f"--- {name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            for name, log in self.logs.items()
        ]
        return "\n".join(tails)


def _prefect(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *args], env=env, cwd=ROOT, capture_output=True, timeout=300
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout.decode()}\n{done.stderr.decode()}"


def work_pool(home: Path, *, closedloop_env: dict[str, str]) -> Iterator[WorkPool]:
    """Start it all; yield; stop the workers and the server and drop the database."""
    database = create_pg_database("closedloop_prefect")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLOSEDLOOP_"))}
    server_env = {
        **base,
        "PREFECT_HOME": str(home / "prefect-server"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": database.replace("+psycopg", "+asyncpg"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        # Fast enough for a test: due runs are looked for every 5 s, a run kept from a taken concurrency
        # slot asks again after 5 s (defaults: 60 s and 30 s).
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "5",
    }
    with (home / "server.log").open("ab") as log:
        command = prefect_server_command(port)
        server = subprocess.Popen(command, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    env = {
        **base,
        **closedloop_env,
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(home / "prefect-client"),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",  # the least Prefect allows; automations.yaml relies on it
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    pool = WorkPool(
        api=api, env=env, settings=Settings(home=Path(closedloop_env["CLOSEDLOOP_HOME"])), logs={}
    )
    try:
        wait_for(lambda: healthy(api), timeout=180, what="the Prefect server on PostgreSQL")
        _prefect(env, "work-pool", "create", POOL, "--type", "process")
        _prefect(env, "--no-prompt", "deploy", "--all", "--prefect-file", "infra/prefect/prefect.yaml")
        _prefect(env, "automation", "create", "--from-file", "infra/prefect/automations.yaml")
        for name in ("worker-a", "worker-b"):
            pool.start_worker(name)
        yield pool
    finally:
        for worker in pool.workers.values():
            _stop(worker, group=True)
        _stop(server, group=False)
        drop_pg_database(database)


def _stop(process: subprocess.Popen[bytes], *, group: bool) -> None:
    """SIGTERM, then SIGKILL after 15 s; always reaped, so no Popen is collected while its process runs (a
    ResourceWarning then, which fails whichever test happens to be running)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 30)):
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
            return
