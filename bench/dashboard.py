"""The `dashboard` suite: time to first paint of `/dashboard` in headless Chromium over a store holding
100,000 predictions (and their feedback), plus the server's own time to render the page and the summary.

`populate_store` and `record_gate_history` fill its store, `bench.dashboard_home` the rest; the
dashboard's tests reuse them on a smaller scale.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.contract import KindBenchmarks, taking_part
from bench.dashboard_home import record_gate_decisions, write_report_fixtures
from bench.report import markdown_table
from closedloop.kinds import kinds
from closedloop.platform.processes import free_port
from closedloop.settings import Settings, child_environment
from closedloop.store import Store, log_predictions, open_store, record_alias_move
from closedloop.store import record_feedback_batch as store_feedback
from closedloop.store.tables import utcnow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PREDICTIONS, FEEDBACK_SHARE, LOADS = 100_000, 0.1, 5
CHUNK = 5_000


def _traffic() -> list[tuple[float, KindBenchmarks]]:
    """(cumulative share, parts) of each kind in the dashboard's traffic, in the kinds' order."""
    parts = [p for _, p in taking_part("dashboard")]
    total = sum(p.traffic_share for p in parts)
    shares = [float(share) for share in np.cumsum([p.traffic_share / total for p in parts])]
    return list(zip(shares, parts, strict=True))


def populate_store(store: Store, *, n: int, feedback_share: float = FEEDBACK_SHARE, seed: int = 0) -> int:
    """`n` predictions over the last day, each of a kind drawn by the kinds' traffic shares, a share of them
    with what users said (each kind's `example_prediction` and `example_feedback`); bulk inserts. Returns
    the number of feedback events stored."""
    rng, now, stored = random.Random(seed), utcnow(), 0
    traffic = _traffic()
    for start in range(0, n, CHUNK):
        rows, events = [], []
        for i in range(start, min(n, start + CHUNK)):
            at = now - timedelta(seconds=86_400 * (1 - i / n) + 60)
            draw = rng.random()
            parts = next((p for share, p in traffic if draw < share), traffic[-1][1])
            row = parts.example_prediction(rng, i, at)
            rows.append(row)
            if rng.random() < feedback_share:
                events += parts.example_feedback(rng, row, at)
        with store.session() as session:
            log_predictions(session, rows=rows)
            stored += len(store_feedback(session, events=events, kinds={k.name: k for k in kinds()}))
    return stored


def record_gate_history(store: Store) -> None:
    """Alias moves as the gate records them (each kind's `example_alias_moves`: a first champion, then a
    promotion with full evidence); all within the last day's traffic of `populate_store`, so the charts
    mark them."""
    now = utcnow()
    with store.session() as session:
        for found, parts in taking_part("dashboard"):
            for hours_ago, to, frm, reason, evidence in parts.example_alias_moves():
                record_alias_move(
                    session, registered_model=found.config.registered_name, alias="champion",
                    from_version=frm, to_version=to, actor="retrain-flow", reason=reason, evidence=evidence,
                    created_at=now - timedelta(hours=hours_ago),
                )  # fmt: skip


@contextmanager
def serve(home: Path, port: int) -> Iterator[str]:
    """The real API (uvicorn, app factory) over `home` in a child process; yields its base URL."""
    env = child_environment(
        settings={"home": str(home), "reload_seconds": "3600", "allow_anonymous_writes": "true"}
    )
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while not _answers(f"{base}/healthz"):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the API did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def first_paints(url: str, *, loads: int) -> list[float]:
    """First-contentful-paint times (ms) of `loads` cold page loads (a fresh browser context each)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    paints = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(loads):
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                page = context.new_page()
                page.goto(url, wait_until="load")
                # The paint entry is recorded asynchronously and can land just after the load event.
                page.wait_for_function(
                    "performance.getEntriesByName('first-contentful-paint').length > 0", timeout=15_000
                )
                script = "performance.getEntriesByName('first-contentful-paint')[0].startTime"
                paints.append(float(page.evaluate(script)))
                context.close()
        finally:
            browser.close()
    return paints


def run(only: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="closedloop-dashboard-") as scratch:
        home = Path(scratch) / "home"
        store = open_store(Settings(home=home).store_url)
        started = time.perf_counter()
        try:
            feedback = populate_store(store, n=PREDICTIONS)
            record_gate_history(store)
        finally:
            store.close()
        populate_s = time.perf_counter() - started
        record_gate_decisions(Settings(home=home))  # the page reads the gate's verdicts from MLflow
        write_report_fixtures(home)
        with serve(home, free_port()) as base:
            server = {path: _server_ms(base + path) for path in ("/dashboard", "/dashboard/api/summary")}
            paints = first_paints(base + "/dashboard", loads=LOADS)
    return {
        "dashboard": {
            "predictions": PREDICTIONS, "feedback": feedback, "populate_s": populate_s, "loads": LOADS,
            "fcp_ms": paints, "fcp_median_ms": statistics.median(paints),
            "server_page_ms": server["/dashboard"], "server_summary_ms": server["/dashboard/api/summary"],
        }
    }  # fmt: skip


def _server_ms(url: str) -> float:
    """Median time (ms) to fetch `url` completely, over five requests after one warm-up."""
    with httpx.Client(timeout=30) as client:
        client.get(url).raise_for_status()
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def tables(results: dict[str, Any]) -> str:
    r = results["dashboard"]
    table = markdown_table(
        ["measure", "median ms"],
        [
            [f"first contentful paint, headless Chromium ({r['loads']} cold loads)", r["fcp_median_ms"]],
            ["server: GET /dashboard (whole page)", r["server_page_ms"]],
            ["server: GET /dashboard/api/summary", r["server_summary_ms"]],
        ],
    )  # fmt: skip
    return (
        f"`/dashboard` over a SQLite store of {r['predictions']:,} predictions and {r['feedback']:,} "
        f"feedback events (target: first paint ≤ 1 s):\n\n{table}\n"
    )
