"""The `serving` suite: our API against `mlflow models serve` on the same champion, feedback throughput into
SQLite and PostgreSQL, and prediction latency with a busy interaction log to fold in — all driven by one
load client (`loadgen`). The kinds taking part hand over the requests (`prediction_load`, `history_load`);
the first registered kind with each load is measured (`--kind`: only that one).

Uses the champions of the home in settings (read-only) and writes predictions and feedback only into scratch
stores, never into the home's feedback store (benchmark feedback must not become training labels).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.contract import KindBenchmarks, PredictionLoad, benchmarks_of, taking_part
from bench.feedback_load import feedback, writer
from bench.loadgen import drive
from bench.peers.interleaved import ROUNDS, SECONDS, Target, measure, warm_up
from bench.peers.launch import ROUTE, start_peers
from bench.peers.scorer import export
from bench.peers.scorer import load as load_scorer
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
    """Our API (1 worker at 1 and 8 clients, 2 workers at 8), `mlflow models serve` and the peers
    (`bench.peers`) on the same champion, measured in turns (`interleaved`); then feedback throughput and
    the writer alone."""
    results: dict[str, Any] = {"model": found.name, "path": load.path, "load": load.description}
    body = _bodies(load.requests)
    with ExitStack() as running:
        port = free_port()
        running.enter_context(
            our_server(settings, port, f"sqlite:///{scratch / 'bench.db'}", serving=found.name)
        )
        targets = [Target("ours", port, load.path, body)]
        two = free_port()
        open_store(f"sqlite:///{scratch / 'workers.db'}").close()  # made before two workers race to
        running.enter_context(
            our_server(settings, two, f"sqlite:///{scratch / 'workers.db'}", serving=found.name, workers=2)
        )
        targets.append(Target("ours_workers2", two, load.path, body, clients=(8,)))
        if load.pyfunc_records:
            mlflow_port = free_port()
            running.enter_context(mlflow_server(settings, mlflow_port, found.config.registered_name))
            targets.append(Target("mlflow", mlflow_port, "/invocations", _pyfunc_bodies(load)))
        scorer, texts = scratch / "scorer.pkl", [str(r.get("text")) for r in load.pyfunc_records]
        if load.peer_prepare is not None:
            _export_champion(settings, found, load, scorer)
            targets += start_peers(running, scorer, texts)
            results["median_text_chars"] = float(np.median([len(text) for text in texts]))
        print(f"bench: measuring {', '.join(t.name for t in targets)} in turns", flush=True)
        warm_up(targets)
        before, alone = os.getloadavg()[0], _champion_alone(scorer, load)
        results.update({name: pooled.summary() for name, pooled in measure(targets).items()})
        results["load_average"] = [before, os.getloadavg()[0]]  # other jobs may share these cores
        results["turns"] = {"rounds": ROUNDS, "seconds": SECONDS}
        alone += _champion_alone(scorer, load)  # before and after the turns: the servers' conditions
        if alone:
            results["champion_alone_p50_ms"] = float(np.median(alone) * 1000)
        results["feedback_sqlite"] = feedback(port, load)
    results["writer_sqlite"] = writer(f"sqlite:///{scratch / 'writer.db'}", found.name, load)
    return {**results, **_ratios(results)}


def _export_champion(settings: Settings, found: ModelKind, load: PredictionLoad, path: Path) -> Path:
    """Write the champion's estimator and its input step where the peers read it (`peers.scorer`)."""
    assert load.peer_prepare is not None
    tracking.configure(settings)
    wrapper = load_wrapper(f"models:/{found.config.registered_name}@{registry.CHAMPION}")
    return export(wrapper.estimator, load.peer_prepare, path)


def _champion_alone(scorer_path: Path, load: PredictionLoad) -> list[float]:
    """Seconds the exported champion takes in this process for each request, one at a time: the cost no
    server can avoid (timed while every server is up and idle, as the servers are timed); [] without one."""
    if load.peer_prepare is None:
        return []
    scorer = load_scorer(scorer_path)
    texts = [str(record["text"]) for record in load.pyfunc_records]
    for text in texts[:20]:
        scorer.score(text)  # warm-up
    seconds = []
    for text in texts[::2]:  # half: called twice, before and after the turns
        started = time.perf_counter()
        scorer.score(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def _ratios(r: dict[str, Any]) -> dict[str, float]:
    """closedloop's overhead over the bare app at 1 client, 2 workers against 1, and ours against MLflow."""
    ratios = {}
    if "bare_single" in r:
        ratios["overhead_p50_ms"] = r["ours_single"]["p50_ms"] - r["bare_single"]["p50_ms"]
    if "ours_workers2_8" in r:
        ratios["workers_ratio"] = r["ours_workers2_8"]["per_s"] / max(r["ours_8"]["per_s"], 1e-9)
    if "mlflow_8" in r:
        ratios["throughput_ratio"] = r["ours_8"]["per_s"] / max(r["mlflow_8"]["per_s"], 1e-9)
    return ratios


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
        measured: PredictionLoad | None = None
        for found, parts in taking:
            measured = parts.prediction_load(settings)
            if measured is not None:
                results.update(predictions(settings, found, measured, Path(scratch)))
                break
        results.update(history(settings, taking, Path(scratch)))
        load = measured
        with scratch_postgres(settings.bench_postgres_url or "") as pg_url:
            if load is not None and pg_url is not None and settings.bench_postgres_url:
                port = free_port()
                with our_server(settings, port, pg_url, serving=results["model"]):
                    results["feedback_postgres"] = feedback(port, load)
                results["writer_postgres"] = writer(pg_url, results["model"], load)
    return {"serving": results}


SERVERS = (  # (results key, how the table names it, route key or route); ours first, the floor next
    ("ours", "our API", None),
    ("ours_workers2", "our API, `--workers 2`", None),
    ("bare", "bare FastAPI app (the floor)", ROUTE),
    ("bentoml", "BentoML 1.4", ROUTE),
    ("litserve", "LitServe 0.2", ROUTE),
    ("mlflow", "mlflow models serve", "/invocations"),
)


def tables(results: dict[str, Any]) -> str:
    r = results["serving"]
    rows = []
    for key, name, route in SERVERS:
        for clients in (1, 8):
            cell = f"{key}_single" if clients == 1 else f"{key}_{clients}"
            if cell in r:
                where = f"{clients} client{'s' if clients > 1 else ''}"
                rows.append([f"{name}, {where}", route or r["path"], r[cell]])
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
    turns = r.get("turns", {"rounds": ROUNDS, "seconds": SECONDS})
    return (
        f"{title} champion, the same artefact served by each server (one worker each unless said; measured "
        f"in turns, {turns['rounds']} rounds of {turns['seconds']:g} s per server and client count; the load "
        f"client on the same machine, HTTP/1.1 keep-alive). Requests: {r.get('load', 'see the JSON')}.\n\n"
        + table
        + "".join(f"\n\n{line}" for line in _verdicts(r))
        + "\n\nGroup commit without HTTP (each thread waits for its commit before sending the next "
        "event):\n\n" + markdown_table(["writer", "events/s", "events per commit"], writers) + "\n"
    )


def _verdicts(r: dict[str, Any]) -> list[str]:
    lines = []
    if "load_average" in r:
        before, after = r["load_average"]
        lines.append(f"1-minute load average {before:.1f} → {after:.1f} while measured in turns (2 cores).")
    if "champion_alone_p50_ms" in r:
        lines.append(
            f"The champion alone, in the benchmark's process, one message at a time: p50 "
            f"{r['champion_alone_p50_ms']:.2f} ms."
        )
    if "overhead_p50_ms" in r:
        lines.append(
            f"closedloop's overhead at 1 client (our p50 − the bare app's): {r['overhead_p50_ms']:.2f} ms."
        )
    if "workers_ratio" in r:
        lines.append(f"Throughput at 8 clients, 2 workers / 1 worker: {r['workers_ratio']:.2f}×.")
    if "throughput_ratio" in r:
        lines.append(f"Throughput ratio at 8 clients (ours / MLflow): {r['throughput_ratio']:.1f}×.")
    return lines


def _db(name: str) -> str:
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
