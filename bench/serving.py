"""The `serving` suite: our API against `mlflow models serve` on the same champion, feedback throughput into
SQLite and PostgreSQL, and prediction latency with a busy interaction log to fold in — all driven by one
load client (`loadgen`). The kinds taking part hand over the requests (`prediction_load`, `history_load`);
the first registered kind with each load is measured (`--kind`: only that one).

Uses the champions of the home in settings (read-only) and writes predictions and feedback only into scratch
stores, never into the home's feedback store (benchmark feedback must not become training labels).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from bench.contract import KindBenchmarks, PredictionLoad, benchmarks_of, taking_part
from bench.feedback_load import SECONDS, feedback, writer
from bench.loadgen import drive
from bench.report import markdown_table
from bench.servers import mlflow_server, our_server, scratch_postgres, serves
from closedloop import registry
from closedloop.kinds import ModelKind, kinds
from closedloop.platform.processes import free_port
from closedloop.registry import tracking
from closedloop.registry.packaging import load_wrapper
from closedloop.settings import Settings, get_settings
from closedloop.store import open_store, record_interactions

# In the store while a history load is measured: each request reads and folds its user's share.
LOGGED_INTERACTIONS = 100_000


def _bodies(requests: tuple[dict[str, Any], ...]) -> Any:
    encoded = [json.dumps(request).encode() for request in requests]
    return lambda number: encoded[number % len(encoded)]


def _pyfunc_bodies(load: PredictionLoad) -> Any:
    encoded = [json.dumps({"dataframe_records": [record]}).encode() for record in load.pyfunc_records]
    return lambda number: encoded[number % len(encoded)]


def predictions(settings: Settings, found: ModelKind, load: PredictionLoad, scratch: Path) -> dict[str, Any]:
    """Our API at 1 and 8 clients, feedback throughput, the writer alone, and `mlflow models serve` on the
    same champion at 1 and 8 clients (when the kind's pyfunc inputs are given)."""
    results: dict[str, Any] = {"model": found.name, "path": load.path}
    body = _bodies(load.requests)
    port = free_port()
    with our_server(settings, port, f"sqlite:///{scratch / 'bench.db'}", serving=found.name):
        drive(port, load.path, body, total=300)  # warm-up
        results["ours_single"] = drive(port, load.path, body, total=3000).summary()
        results["ours_8"] = drive(port, load.path, body, concurrency=8, seconds=SECONDS).summary()
        results["feedback_sqlite"] = feedback(port, load)
    results["writer_sqlite"] = writer(f"sqlite:///{scratch / 'writer.db'}", found.name, load)
    if load.pyfunc_records:
        mlflow_port, pyfunc = free_port(), _pyfunc_bodies(load)
        with mlflow_server(settings, mlflow_port, found.config.registered_name):
            drive(mlflow_port, "/invocations", pyfunc, total=300)
            results["mlflow_single"] = drive(mlflow_port, "/invocations", pyfunc, total=3000).summary()
            results["mlflow_8"] = drive(
                mlflow_port, "/invocations", pyfunc, concurrency=8, seconds=SECONDS
            ).summary()
        results["throughput_ratio"] = results["ours_8"]["per_s"] / max(results["mlflow_8"]["per_s"], 1e-9)
    return results


def history(
    settings: Settings, taking: list[tuple[ModelKind, KindBenchmarks]], scratch: Path
) -> dict[str, Any]:
    """Our API at one client, every user in turn, with `LOGGED_INTERACTIONS` of the first kind with a
    history load in the store (written before the server starts); {} when none, or its champion does not
    load (these rows are skipped, not the suite)."""
    for found, parts in taking:
        tracking.configure(settings)
        uri = f"models:/{found.config.registered_name}@{registry.CHAMPION}"
        try:
            load = parts.history_load(partial(load_wrapper, uri), LOGGED_INTERACTIONS)
        except Exception as error:  # the server could not load it either
            print(f"bench: the {found.name} champion did not load ({error!r}); skipped", flush=True)
            return {}
        if load is None:
            continue
        database_url = f"sqlite:///{scratch / 'history.db'}"
        store = open_store(database_url)
        try:
            for start in range(0, len(load.events), 5_000):  # in batches, as an import would
                with store.session() as session:
                    record_interactions(session, events=load.events[start : start + 5_000])
        finally:
            store.close()
        body, port = _bodies(load.requests), free_port()
        try:
            with our_server(settings, port, database_url, serving=found.name) as base:
                if not serves(base, found.name):
                    raise RuntimeError("not served")
                drive(port, load.path, body, total=200)  # warm-up
                # every request counts: on a busy machine 2,000 of them take longer than `drive`'s 10 s
                measured = drive(port, load.path, body, total=2000, seconds=120.0).summary()
        except RuntimeError:
            print(f"bench: the {found.name} champion did not load (see the server log); skipped", flush=True)
            return {}
        logged = float(LOGGED_INTERACTIONS)
        return {"history_model": found.name, "history_path": load.path,
                "recommend_single": {**measured, "logged_interactions": logged}}  # fmt: skip
    return {}


def _ensure_champions(settings: Settings) -> None:
    """Serve the home's champions; a fresh home gets its first ones from the real retraining flow."""
    subprocess.run([sys.executable, "-m", "cli", "data", "fetch", "all"], check=True)
    client = tracking.configure(settings)
    for found in kinds():
        name = found.config.registered_name
        if registry.aliased_version(client, name=name, alias=registry.CHAMPION) is None:
            print(
                f"bench: {name} has no champion in {settings.home}; running `closedloop retrain {found.name}`"
            )
            subprocess.run(
                [sys.executable, "-m", "cli", "retrain", found.name, "--reason", "bench"], check=True
            )


def run(only: str | None = None) -> dict[str, Any]:
    settings = get_settings()
    _ensure_champions(settings)
    taking = taking_part("serving", only)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for found, parts in taking:
            load = parts.prediction_load()
            if load is not None:
                results.update(predictions(settings, found, load, Path(scratch)))
                break
        results.update(history(settings, taking, Path(scratch)))
        load = next((p.prediction_load() for k, p in taking if k.name == results.get("model")), None)
        with scratch_postgres(settings.bench_postgres_url or "") as pg_url:
            if load is not None and pg_url is not None and settings.bench_postgres_url:
                port = free_port()
                with our_server(settings, port, pg_url, serving=results["model"]):
                    results["feedback_postgres"] = feedback(port, load)
                results["writer_postgres"] = writer(pg_url, results["model"], load)
    return {"serving": results}


def tables(results: dict[str, Any]) -> str:
    r = results["serving"]
    rows = []
    if "path" in r:
        rows += [
            ["our API, 1 client", r["path"], r["ours_single"]],
            ["our API, 8 clients", r["path"], r["ours_8"]],
        ]
    if "mlflow_single" in r:
        rows += [
            ["mlflow models serve, 1 client", "/invocations", r["mlflow_single"]],
            ["mlflow models serve, 8 clients", "/invocations", r["mlflow_8"]],
        ]
    if "recommend_single" in r:
        logged = int(r["recommend_single"].get("logged_interactions", 0))
        who = f"our API, 1 client (known users, {logged:,} logged interactions)"
        rows.append([who, r.get("history_path", ""), r["recommend_single"]])
    for db in ("sqlite", "postgres"):
        if f"feedback_{db}" in r:
            rows.append(
                [f"our API, 32 clients, {_db(db)}", "/v1/feedback (acked = committed)", r[f"feedback_{db}"]]
            )
    table = markdown_table(
        ["server, load", "route", "requests/s", "p50 ms", "p99 ms", "errors"],
        [[name, route, s["per_s"], s["p50_ms"], s["p99_ms"], int(s["errors"])] for name, route, s in rows],
    )
    writers = [
        [
            f"FeedbackWriter alone, 32 threads, {db}",
            r[f"writer_{db}"]["per_s"],
            r[f"writer_{db}"]["events_per_commit"],
        ]
        for db in ("sqlite", "postgres")
        if f"writer_{db}" in r
    ]
    title = benchmarks_of(r["model"])[0].config.title if "model" in r else "No"
    ratio = (
        f"\n\nThroughput ratio at 8 clients (ours / MLflow): {r['throughput_ratio']:.1f}×"
        if "throughput_ratio" in r
        else ""
    )
    return (
        f"{title} champion served by our API and by `mlflow models serve --env-manager local` "
        "(one uvicorn worker each, same machine as the load client, HTTP/1.1 keep-alive):\n\n"
        + table
        + ratio
        + "\n\nGroup commit without HTTP (each thread waits for its commit before sending the next "
        "event):\n\n" + markdown_table(["writer", "events/s", "events per commit"], writers) + "\n"
    )


def _db(name: str) -> str:
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
