"""The platform's processes, listed once: `closedloop demo`, the end-to-end test and the loop benchmark all
start these, so what they exercise is what a user runs.

    prefect     Prefect server (SQLite under HOME/prefect): schedules, event triggers, the UI
    worker      `closedloop worker`: serves the retrain, label-watcher and monitoring deployments
    api         `closedloop serve`: predictions, feedback, dashboard (and labeling, where installed)
    mlflow      MLflow UI on the tracking store                                       (ui=True)
    evidently   Evidently UI on the monitoring workspace                              (ui=True)
    first-*     `closedloop retrain <model>`: trains a first champion where none exists (bootstrap=...)
    replay-*    `closedloop simulate <model>`: the rest of the corpus as live traffic (clients=...)
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from closedloop.kinds import kinds
from closedloop.monitoring import workspace_dir
from closedloop.orchestration import (
    deployments_served,
    prefect_database_environment,
    prefect_server_command,
    triggers,
)
from closedloop.platform.supervisor import Service, http_ok
from closedloop.settings import Settings

CLI = [sys.executable, "-m", "cli"]


def worker_deployments() -> frozenset[str]:
    """Deployments the worker must have registered before it counts as ready (see flows/schedules.py): a
    retrain per enabled kind and the label watcher."""
    retrains = (triggers.retrain_deployment(found.name) for found in kinds())
    return frozenset({*retrains, triggers.WATCH_LABELS_DEPLOYMENT})


@dataclass(frozen=True)
class Ports:
    """Where each server listens (all on 127.0.0.1)."""

    api: int = 8000
    prefect: int = 4200
    mlflow: int = 5000
    evidently: int = 8001

    @classmethod
    def free(cls) -> Ports:
        """Ephemeral ports the OS has just handed out (for tests and benchmarks running side by side)."""
        return cls(api=free_port(), prefect=free_port(), mlflow=free_port(), evidently=free_port())

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api}"

    @property
    def prefect_api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect}/api"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def platform_environment(settings: Settings, ports: Ports, base: Mapping[str, str]) -> dict[str, str]:
    """The environment every process gets: `base` (CLOSEDLOOP_* settings included) plus the home, the ports
    and where each UI lives, so the dashboard links to the servers actually running (and the Prefect
    server's database, where one is set)."""
    return {
        **base,
        **prefect_database_environment(settings),
        "CLOSEDLOOP_HOME": str(settings.home.resolve()),
        "CLOSEDLOOP_PREFECT_PORT": str(ports.prefect),
        "CLOSEDLOOP_MLFLOW_UI_URL": f"http://127.0.0.1:{ports.mlflow}",
        "CLOSEDLOOP_PREFECT_UI_URL": f"http://127.0.0.1:{ports.prefect}",
        "CLOSEDLOOP_EVIDENTLY_UI_URL": f"http://127.0.0.1:{ports.evidently}",
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def platform_services(
    settings: Settings,
    ports: Ports,
    *,
    base_env: Mapping[str, str],
    ui: bool = True,
    bootstrap: Sequence[str] = (),
    clients: Sequence[Service] = (),
) -> list[Service]:
    """The services in start order. `bootstrap` models get a first-champion retrain as soon as the Prefect
    server is up (the API becomes ready once it serves them); `clients` (`replay_service`) start once the
    API is ready and may finish."""
    env = platform_environment(settings, ports, base_env)
    with_prefect = {**env, "PREFECT_API_URL": ports.prefect_api_url}
    first = [
        Service(
            f"first-{model}",
            [*CLI, "retrain", model, "--reason", "first champion"],
            env=with_prefect,
            needs=("prefect",),
            finishes=True,
        )
        for model in bootstrap
    ]
    services = [
        Service(
            "prefect",
            prefect_server_command(ports.prefect),
            url=f"http://127.0.0.1:{ports.prefect} (Prefect UI: flow runs, schedules, triggers)",
            env=env,
            ready=http_ok(f"{ports.prefect_api_url}/health"),
        ),
        Service(
            "worker",
            [*CLI, "worker"],
            env=with_prefect,
            ready=lambda: deployments_served(ports.prefect_api_url, worker_deployments()),
            needs=("prefect",),
        ),
        *first,
        Service(
            "api",
            [*CLI, "serve", "--port", str(ports.api)],
            url=f"{ports.api_url}/dashboard (dashboard; API docs at /docs)",
            env=env,
            ready=http_ok(f"{ports.api_url}/readyz"),
        ),
    ]
    if ui:
        services += [
            Service(
                "mlflow",
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "ui",
                    "--backend-store-uri",
                    settings.tracking_uri,
                    "--default-artifact-root",
                    str(settings.artifact_root),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports.mlflow),
                    "--workers",
                    "1",
                ],
                url=f"http://127.0.0.1:{ports.mlflow} (MLflow UI: runs, registry, aliases)",
                env=env,
                ready=http_ok(f"http://127.0.0.1:{ports.mlflow}/health"),
            ),
            Service(
                "evidently",
                [
                    sys.executable,
                    "-m",
                    "evidently.cli",
                    "ui",
                    "--workspace",
                    str(workspace_dir(settings)),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports.evidently),
                ],
                url=f"http://127.0.0.1:{ports.evidently} (Evidently UI: drift and quality reports)",
                env=env,
                ready=http_ok(f"http://127.0.0.1:{ports.evidently}/"),
            ),
        ]
    return services + [as_client(c, settings, ports, base_env=base_env) for c in clients]


def as_client(service: Service, settings: Settings, ports: Ports, *, base_env: Mapping[str, str]) -> Service:
    """`service` as a client of the platform: the platform's environment (its own `env` on top), started
    once the API is ready, allowed to finish."""
    env = {**platform_environment(settings, ports, base_env), "PREFECT_API_URL": ports.prefect_api_url}
    return replace(service, env={**env, **service.env}, needs=("api", *service.needs), oneshot=True)


def replay_service(
    model: str,
    ports: Ports,
    *,
    limit: int | None = None,
    rate: float = 10.0,
    feedback_rate: float = 0.3,
    annotators: bool = False,
    passes: int = 1,
    cursor: Path | None = None,
) -> Service:
    """`closedloop simulate <model>` against this platform's API: the later part of the corpus as traffic;
    with `annotators`, simulated annotators also answer the labeling queue from the corpus's own labels;
    with a `cursor` file, the replay resumes where the last one stopped."""
    command = [*CLI, "simulate", model, "--api", ports.api_url, "--rate", str(rate),
               "--feedback-rate", str(feedback_rate)]  # fmt: skip
    if limit is not None:
        command += ["--limit", str(limit)]
    if annotators:
        command.append("--annotators")
    if passes != 1:
        command += ["--passes", str(passes)]
    if cursor is not None:
        command += ["--cursor", str(cursor)]
    return Service(f"replay-{model}", command, oneshot=True)
