"""The Prefect API a command runs its flows against, in this order:

1. the one PREFECT_API_URL names;
2. the demo's, while it runs: `closedloop demo` records its server in HOME/prefect/server.json, so a
   `closedloop retrain` or `monitor` beside it shows up in the demo's Prefect UI, and its run link works;
3. else a temporary server of our own, a child that dies with the command: Linux's parent-death signal kills
   it even when the command is SIGKILLed (Prefect's own temporary server outlived a killed command).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from closedloop.orchestration.server import OrchestrationError, PrefectServer, free_port, healthy
from closedloop.settings import Settings

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def record_path(settings: Settings) -> Path:
    return settings.prefect_home / "server.json"


def record_server(settings: Settings, *, api_url: str, pid: int) -> None:
    """Tell later commands in this home that the server at `api_url` (process `pid`) is theirs to use."""
    path = record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"api_url": api_url, "pid": pid}))
    partial.replace(path)


def forget_server(settings: Settings) -> None:
    """The recorded server is stopping: commands go back to starting their own."""
    record_path(settings).unlink(missing_ok=True)


def recorded_server(settings: Settings) -> str | None:
    """The API URL of the server recorded in this home, when its process lives and it answers."""
    try:
        found = json.loads(record_path(settings).read_text())
        api_url, pid = str(found["api_url"]), int(found["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # the demo was killed without cleaning up
    except PermissionError:
        pass
    return api_url if healthy(api_url) else None


@contextlib.contextmanager
def prefect_api(settings: Settings) -> Iterator[str]:
    """Run the body against a Prefect API (see the module's docstring); yields the API's URL. A temporary
    server gets as long to start as Prefect's own would (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    recorded = recorded_server(settings)
    if recorded is not None:
        log.info("using the demo's Prefect server at %s", recorded)
        with temporary_settings(updates={PREFECT_API_URL: recorded}):
            yield recorded
        return
    timeout = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    server = start_temporary_server(settings, timeout=timeout)
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:
                from prefect.logging.handlers import APILogHandler

                APILogHandler().flush()  # the run's last logs go out before their server does
    finally:
        server.stop()


def temporary_server_command(port: int) -> list[str]:
    """Prefect's API alone (what its own temporary server runs) on 127.0.0.1:`port`."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]


def start_temporary_server(settings: Settings, *, timeout: float = 120.0) -> PrefectServer:
    """A Prefect API for this command only, on a free port and the home's SQLite database; it dies with
    this process however that ends."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # As Prefect's own temporary server: the API alone, without the UI and the background services.
    env = {
        **os.environ,
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    logfile = (settings.prefect_home / "temporary-server.log").open("ab")
    with logfile:
        process = subprocess.Popen(
            temporary_server_command(port),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with(os.getpid()) if sys.platform == "linux" else None,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OrchestrationError(
                f"the temporary Prefect server exited with {process.returncode}; see "
                f"{settings.prefect_home / 'temporary-server.log'}"
            )
        if healthy(api_url):
            log.info("temporary Prefect server (pid %d) at %s", process.pid, api_url)
            return PrefectServer(api_url=api_url, process=process)
        time.sleep(0.25)
    process.kill()
    raise OrchestrationError(f"the temporary Prefect server did not answer within {timeout:.0f} s")


def _die_with(parent: int) -> Callable[[], None]:
    """For `preexec_fn`: the child gets SIGKILL when the thread that started it ends (this process's main
    thread, so when the command ends, SIGKILL included); it leaves at once if the parent is already gone."""

    def arm() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arm
