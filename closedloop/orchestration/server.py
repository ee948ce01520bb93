"""A Prefect server for schedules and triggers: reuse the one named by PREFECT_API_URL or already running
on our port, else start `prefect server start` on SQLite under HOME. Ephemeral mode cannot run schedules."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from closedloop.settings import Settings

log = logging.getLogger(__name__)


class OrchestrationError(Exception):
    """The Prefect server could not be reached or started."""


@dataclass
class PrefectServer:
    api_url: str
    process: subprocess.Popen[bytes] | None  # None when we reuse a server someone else runs

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    """A port the OS has just handed out on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prefect_server_command(port: int) -> list[str]:
    """`prefect server start` on 127.0.0.1:`port` (its database: SQLite under PREFECT_HOME unless
    `prefect_database_environment` names another)."""
    return [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def prefect_database_environment(settings: Settings) -> dict[str, str]:
    """The variable that puts a Prefect server we start on `prefect_database_url` (none: its SQLite)."""
    if not settings.prefect_database_url:
        return {}
    return {"PREFECT_SERVER_DATABASE_CONNECTION_URL": settings.prefect_database_url}


def deployments_served(api_url: str, names: Iterable[str]) -> bool:
    """Whether deployments with all these names are registered on the Prefect API at `api_url`."""
    try:
        found = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(found, list) and {d.get("name") for d in found} >= set(names)


def ensure_prefect_server(settings: Settings, *, timeout: float = 120.0) -> PrefectServer:
    """Return a healthy Prefect API; start one (SQLite under HOME/prefect) when none is configured."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        if not healthy(configured):
            raise OrchestrationError(
                f"PREFECT_API_URL={configured} does not answer; start that server or unset it"
            )
        return PrefectServer(api_url=configured, process=None)
    api_url = f"http://127.0.0.1:{settings.prefect_port}/api"
    if healthy(api_url):
        return PrefectServer(api_url=api_url, process=None)
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    logfile = (settings.prefect_home / "server.log").open("ab")
    env = {
        **os.environ,
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **prefect_database_environment(settings),
    }
    process = subprocess.Popen(
        prefect_server_command(settings.prefect_port), stdout=logfile, stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OrchestrationError(
                f"prefect server exited with {process.returncode}; see {settings.prefect_home / 'server.log'}"
            )
        if healthy(api_url):
            log.info("Prefect server up at %s", api_url)
            return PrefectServer(api_url=api_url, process=process)
        time.sleep(0.5)
    process.kill()
    raise OrchestrationError(f"prefect server did not answer within {timeout:.0f} s")
