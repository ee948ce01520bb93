"""The `login` suite: what 16 concurrent logins cost the labeling UI's server in memory.

Each argon2id check takes its memory cost (64 MiB by default); the server checks at most
`labeling_hash_concurrency` passwords at once. The suite starts `closedloop serve` on a scratch home with one
account per client, warms it up with one login, then measures its resident memory idle and its peak while
16 clients log in at once (each to its own account with the right password: wrong ones are throttled after
the fifth), once with the deployed concurrency and once with 16 (as before the limit). Target: the peak
stays within 200 MiB of idle.
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.report import markdown_table
from bench.servers import server
from closedloop.platform.processes import free_port
from closedloop.settings import Settings, child_environment, get_settings

CLIENTS = 16
TARGET_MIB = 200
USERS, PASSWORD = [f"bench-annotator-{i}" for i in range(CLIENTS)], "bench password 1"


def run(only: str | None = None) -> dict[str, Any]:
    """Idle and peak RSS under 16 concurrent logins, at the deployed concurrency and at 16."""
    deployed = get_settings().labeling_hash_concurrency
    rows = [_measure(deployed), _measure(CLIENTS)]
    return {"login": {"clients": CLIENTS, "target_mib": TARGET_MIB, "runs": rows}}


def _measure(concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="closedloop-bench-login-") as home:
        settings = Settings(home=Path(home))
        _add_account(settings)
        port = free_port()
        env = child_environment(
            settings={"home": home, "labeling_hash_concurrency": str(concurrency), "reload_seconds": "3600"}
        )
        command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
        base = f"http://127.0.0.1:{port}"
        with server(command, env, f"{base}/healthz") as process:
            with httpx.Client(base_url=base, timeout=120) as client:  # warm up: templates, store, argon2
                data = {"username": USERS[0], "password": PASSWORD, "csrf_token": _form_token(client)}
                client.post("/label/login", data=data)
            time.sleep(2.0)  # let start-up settle (model loading finds nothing to load)
            idle = _rss_mib(process.pid)
            peak, seconds, statuses = _logins(base, process.pid)
    row = {
        "concurrency": concurrency,
        "idle_mib": round(idle, 1),
        "peak_mib": round(peak, 1),
        "delta_mib": round(peak - idle, 1),
        "seconds": round(seconds, 2),
        "logged_in": statuses.count(303),
    }
    print(f"bench login: {row}", flush=True)
    return row


def _add_account(settings: Settings) -> None:
    from closedloop.labeling import create_user
    from closedloop.store import open_store

    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            for user in USERS:
                create_user(session, username=user, password=PASSWORD, role="annotator")
    finally:
        store.close()


def _logins(base: str, pid: int) -> tuple[float, float, list[int]]:
    """Peak RSS while CLIENTS clients log in at once, the wall time, and their answers' statuses."""
    clients = [httpx.Client(base_url=base, timeout=120) for _ in range(CLIENTS)]
    tokens = [_form_token(client) for client in clients]
    start = threading.Barrier(CLIENTS)
    done = threading.Event()
    peak = [0.0]

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib(pid))
            time.sleep(0.01)

    def log_in(index: int) -> int:
        start.wait()
        data = {"username": USERS[index], "password": PASSWORD, "csrf_token": tokens[index]}
        return clients[index].post("/label/login", data=data).status_code

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        statuses = list(pool.map(log_in, range(CLIENTS)))
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    for client in clients:
        client.close()
    return peak[0], seconds, statuses


def _form_token(client: httpx.Client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/label/login").text)
    if match is None:
        raise RuntimeError("the login page carries no form token")
    return match.group(1)


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def tables(results: dict[str, Any]) -> str:
    """The login suite's table for the README."""
    login = results["login"]
    rows = [
        [r["concurrency"], r["idle_mib"], r["peak_mib"], r["delta_mib"], r["seconds"], r["logged_in"]]
        for r in login["runs"]
    ]
    headers = ["argon2 checks at once", "idle MiB", "peak MiB", "peak − idle MiB", "seconds", "logged in"]
    return (
        f"{login['clients']} concurrent logins to the labeling UI, argon2id at 64 MiB per check "
        f"(target: peak within {login['target_mib']} MiB of idle at the deployed setting):\n\n"
        + markdown_table(headers, rows)
    )
