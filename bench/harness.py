"""The whole loop as real processes in a scratch home, for the end-to-end test and the loop benchmark: the
platform's own service list (closedloop.platform.processes) on free ports, first champions trained on the
earliest part of the corpus, and small readers of what happened (MLflow versions, Prefect flow runs,
served versions).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from mlflow import MlflowClient

from closedloop.kinds import kinds
from closedloop.platform.processes import Ports, as_client, platform_services
from closedloop.platform.supervisor import Service, Supervisor, group_alive
from closedloop.registry import tracking
from closedloop.serving.keys import ensure_keys
from closedloop.settings import Settings

T = TypeVar("T")

# Small, fast settings: the first champion sees the earlier half of the corpus (a smaller share fails the
# spam gate's FPR floor: the early SpamAssassin messages are two-thirds spam), one candidate per model
# (`fast_candidates`), a label watcher every 10 s and an API that looks for new aliases every 2 s.
FAST_SETTINGS = {
    "base_fraction": "0.5",
    "gate_n_bootstrap": "500",
    "label_watch_seconds": "10",
    "reload_seconds": "2",
}
# The Prefect server looks for due scheduled runs every 5 s (default 60) and the worker polls every 2 s
# (default 10): the watcher's first runs start seconds after the worker registers it, not a minute later.
FAST_PREFECT = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
    "PREFECT_RUNNER_POLL_FREQUENCY": "2",
}


def fast_candidates(settings: Settings) -> str:
    """The `candidates` setting (JSON) of a fast platform: per kind with a replay, the one candidate its
    replay retrains (a classical one that fits in seconds); other kinds keep their defaults."""
    fast = {}
    for found in kinds():
        plan = found.replay(settings)
        if plan is not None:
            fast[found.name] = [plan.candidate]
    return json.dumps(fast)


def fast_settings(settings: Settings) -> dict[str, str]:
    """`FAST_SETTINGS` with every kind's fast candidate."""
    return {**FAST_SETTINGS, "candidates": fast_candidates(settings)}


@dataclass
class Platform:
    """A running platform: where it listens and how to look at its state."""

    settings: Settings
    ports: Ports
    supervisor: Supervisor
    env: dict[str, str]

    @property
    def mlflow(self) -> MlflowClient:
        return tracking.configure(self.settings)

    def start(self, *clients: Service, timeout: float = 300.0) -> None:
        """Start clients of the running platform (a replay) with its environment."""
        started = [as_client(c, self.settings, self.ports, base_env=self.env) for c in clients]
        self.supervisor.start_all(started, timeout=timeout)


def platform_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any PREFECT_/CLOSEDLOOP_ variable, plus `settings` as
    CLOSEDLOOP_<NAME> variables: the children see only the home and settings chosen here."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLOSEDLOOP_"))}
    return {**base, **FAST_PREFECT, **{f"CLOSEDLOOP_{k.upper()}": v for k, v in settings.items()}}


def _parsed(value: str) -> Any:
    """A setting as the environment gives it: JSON lists and objects decoded, anything else as is."""
    return json.loads(value) if value[:1] in "[{" else value


@contextmanager
def running_platform(
    workdir: Path, *, data_dir: Path, settings: Mapping[str, str] = {}, timeout: float = 300.0
) -> Iterator[Platform]:
    """Prefect server, worker and API on free ports with HOME under `workdir`, the corpora from the cache
    at `data_dir`, and first champions of every registered kind; every process is stopped on the way
    out."""
    paths = {"home": str(workdir / "home"), "data_dir": str(data_dir)}
    chosen = {**fast_settings(Settings.model_validate(paths)), **settings, **paths}
    env = platform_environment(chosen)
    # The children read lists and maps as JSON from the environment; this process reads the same values.
    config = Settings.model_validate({k: _parsed(v) for k, v in chosen.items()})
    config.home.mkdir(parents=True, exist_ok=True)
    ensure_keys(config)  # as `closedloop demo` does: the API and the replay read them from the home
    for found in kinds(tuple(config.kinds)):
        found.fetch(config)
    ports = Ports.free()
    supervisor = Supervisor(logs=config.home / "logs")
    platform = Platform(settings=config, ports=ports, supervisor=supervisor, env=env)
    first = tuple(found.name for found in kinds())
    services = platform_services(config, ports, base_env=env, ui=False, bootstrap=first)
    try:
        supervisor.start_all(services, timeout=timeout)
        yield platform
    finally:
        supervisor.stop_all()


def leftover_processes(supervisor: Supervisor) -> list[str]:
    """Services with any process still alive (after `stop_all` there must be none)."""
    return [name for name, process in supervisor.running.items() if group_alive(process.pid)]


def wait_for(predicate: Callable[[], T | None], *, timeout: float, what: str, every: float = 1.0) -> T:
    """Poll `predicate` until it returns something truthy; AssertionError naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def served_version(api_url: str, kind: str) -> str | None:
    """The champion version the API serves for `kind` right now (None while it serves none)."""
    try:
        models = httpx.get(f"{api_url}/v1/models", timeout=5).json()["models"]
    except (httpx.HTTPError, KeyError, ValueError):
        return None
    for model in models:
        if model["kind"] == kind and model["alias"] == "champion":
            return str(model["version"])
    return None


def version_tags(client: MlflowClient, name: str, version: str) -> dict[str, str] | None:
    """The tags of a registered version and of its run (trigger, gate decision); None while it is absent."""
    try:
        found = client.get_model_version(name, version)
    except Exception:
        return None
    if found.run_id is None:
        return None
    return {**client.get_run(found.run_id).data.tags, **found.tags}


def deployment_flow_runs(prefect_api_url: str, deployment: str) -> list[dict[str, Any]]:
    """Flow runs of one deployment on the Prefect server, oldest first."""
    found = httpx.post(
        f"{prefect_api_url}/deployments/filter",
        json={"deployments": {"name": {"any_": [deployment]}}},
        timeout=10,
    ).json()
    if not found:
        return []
    runs = httpx.post(
        f"{prefect_api_url}/flow_runs/filter",
        json={"flow_runs": {"deployment_id": {"any_": [found[0]["id"]]}}, "sort": "EXPECTED_START_TIME_ASC"},
        timeout=10,
    ).json()
    return list(runs)
