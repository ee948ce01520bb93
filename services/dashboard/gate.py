"""The gate's history for the dashboard: every verdict MLflow holds (promotions and refusals, with their
evidence), read at most once per `CACHE_SECONDS` per model so that a refreshing page does not query MLflow
on every request.

The reader never creates a tracking store: with the default SQLite store under HOME and no file yet, there
is simply no history. A tracking server that is down or slow is reported in the panel, not raised: the read
runs in a worker thread and the page waits at most `dashboard_registry_wait_seconds` for it (MLflow's own
HTTP retries can take minutes), and a read still under way is not started again.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from closedloop.registry.decisions import gate_records
from closedloop.settings import Settings

log = logging.getLogger(__name__)
CACHE_SECONDS = 15.0
ROWS = 10

_cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
_reading: dict[tuple[str, str], Future[dict[str, Any]]] = {}
_lock = threading.RLock()  # re-entered when a read finishes before its callback is added
_reader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dashboard-gate")


def gate_history(settings: Settings, *, name: str, now: float | None = None) -> dict[str, Any]:
    """`{"decisions": [...]}` newest first (at most `ROWS`), or `{"error": ...}` when MLflow cannot answer.

    Each decision: version, verdict (promote | refuse | pending), at, reason, rule, metric, n, delta,
    ci_low, ci_high, p_value, champion_version, challenger / champion holdout metrics, aliases.
    """
    key = (settings.tracking_uri, name)
    now = time.monotonic() if now is None else now
    with _lock:
        cached = _cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        future = _reading.get(key)
        if future is None:
            future = _reading[key] = _reader.submit(_read, settings, name)
            future.add_done_callback(lambda _: _forget(key))
    try:
        value = future.result(timeout=settings.dashboard_registry_wait_seconds)
    except FutureTimeout:
        waited = settings.dashboard_registry_wait_seconds
        value = {"error": f"MLflow at {_shown(settings.tracking_uri)} did not answer within {waited:g} s"}
    with _lock:
        _cache[key] = (now, value)
    return value


def _forget(key: tuple[str, str]) -> None:
    with _lock:
        _reading.pop(key, None)


def clear_cache() -> None:
    """Forget every cached history (tests; a process that just gated a version and wants it shown now)."""
    with _lock:
        _cache.clear()


def _read(settings: Settings, name: str) -> dict[str, Any]:
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return {"decisions": []}  # nothing was ever tracked in this home
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        records = gate_records(client, name=name, limit=ROWS)
    except Exception as exc:  # any failure of the tracking server is shown, never a broken page
        log.warning("gate history of %s unavailable: %s", name, exc)
        return {"error": f"MLflow at {_shown(uri)} did not answer ({type(exc).__name__})"}
    rows = []
    for record in records:
        row = asdict(record)
        row["at"] = record.at.isoformat(timespec="seconds")
        row.pop("registered_at"), row.pop("decided_at")
        rows.append(row)
    return {"decisions": rows}


def _shown(uri: str) -> str:
    """The tracking URI without credentials (user:password@host)."""
    scheme, sep, rest = uri.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else uri
