"""The servers the serving benchmark measures, as child processes: our API (`closedloop serve`) and
`mlflow models serve`, each started, waited for and stopped; and a scratch PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from closedloop.settings import Settings, child_environment


@contextmanager
def server(
    command: list[str], env: dict[str, str], ready: str, *, serving: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends and yield its process; wait until GET `ready` answers 200 (or,
    with `serving`, until our API serves a champion of that kind: another kind that fails to load skips its
    rows only)."""
    with tempfile.TemporaryFile() as log:
        # Its own process group: servers that fork workers (uvicorn --workers, LitServe, BentoML) are
        # stopped whole, with no orphan left holding a port or a core.
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{command[:4]} did not start:\n{log.read().decode()[-3000:]}")
                try:
                    if _is_ready(ready, serving):
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield process
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, then SIGKILL to whatever of it outlives a grace period."""
    group = process.pid  # a session leader's pid is its group id
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    process.wait(timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)  # raises once no process of the group is left
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _is_ready(url: str, serving: str | None) -> bool:
    if httpx.get(url, timeout=1).status_code == 200:
        return True
    if serving is None or not url.endswith("/readyz"):
        return False
    return serves(url.removesuffix("/readyz"), serving)


def serves(base: str, kind: str) -> bool:
    """Whether our API at `base` serves a champion of `kind`."""
    served = httpx.get(f"{base}/v1/models", timeout=5).json()["models"]
    return any(m["kind"] == kind and m["alias"] == "champion" for m in served)


@contextmanager
def our_server(
    settings: Settings, port: int, database_url: str, *, serving: str | None, workers: int = 1
) -> Iterator[str]:
    """Our API on the home's champions with its store at `database_url`, `workers` processes; yields its
    base URL."""
    env = child_environment(
        # A benchmark's load generator sends no key: it opts in to keyless calls (its store is a scratch one,
        # whose feedback never becomes training labels).
        settings={
            "home": str(settings.home),
            "database_url": database_url,
            "shadow_share": "0",
            "allow_anonymous_writes": "true",
        }
    )
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers)]
    base = f"http://127.0.0.1:{port}"
    with server(command, env, f"{base}/readyz", serving=serving):
        yield base


@contextmanager
def mlflow_server(settings: Settings, port: int, registered_name: str) -> Iterator[None]:
    """`mlflow models serve` on the registered model's champion, in this interpreter's environment."""
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", f"models:/{registered_name}@champion"]
    command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    env = child_environment(extra={"MLFLOW_TRACKING_URI": settings.tracking_uri})
    # MLflow execs `uvicorn` by name: this interpreter's scripts must come first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    with server(command, env, f"http://127.0.0.1:{port}/ping"):
        yield


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str | None]:
    """A fresh database on the server at `admin_url`, dropped afterwards; None when none can be made."""
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"closedloop_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"bench: PostgreSQL feedback skipped ({str(error).splitlines()[0]})", flush=True)
        engine.dispose()
        yield None
        return
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
