"""The `serving` suite: our API against `mlflow models serve` on the same champion, feedback throughput into
SQLite and PostgreSQL, and recommendation latency with a busy interaction log to fold in — all driven by one
load client (`loadgen`).

Uses the champions of the home in settings (read-only) and writes predictions and feedback only into scratch
stores, never into the home's feedback store (benchmark feedback must not become training labels).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, make_url, text

from closedloop import registry, tracking
from closedloop.bench.loadgen import drive
from closedloop.bench.report import markdown_table
from closedloop.kinds import kinds
from closedloop.packaging import load_wrapper
from closedloop.settings import Settings, child_environment, get_settings
from closedloop.store import (
    FeedbackIn,
    InteractionIn,
    InteractionKind,
    PredictionRecord,
    log_predictions,
    open_store,
    record_interactions,
)
from closedloop.store.writer import FeedbackWriter

MESSAGES = [
    "Re: build failure on trunk\n\nThe nightly build broke after the parser patch; I reverted it, see r1234.",
    "Make money fast!!! Click here to claim your FREE prize. Limited offer, act now, unsubscribe below.",
    "Meeting notes\n\n" + "Agenda: release schedule, kernel review, budget for Q3. Thanks, regards. " * 8,
    "Cheap loans approved in minutes. No credit check. Visit our site for a guaranteed casino bonus! " * 4,
]
SECONDS = 8.0
# In the store while recommendations are measured: each request reads and folds its user's share.
LOGGED_INTERACTIONS = 100_000
# The kind mix of a real log: mostly ratings, their stars in MovieLens 100K's shares of 1..5.
KIND_SHARES: dict[InteractionKind, float] = {"rating": 0.75, "view": 0.12, "click": 0.08, "dismiss": 0.05}
STAR_SHARES = [0.061, 0.114, 0.271, 0.342, 0.212]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[None]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{command[:4]} did not start:\n{log.read().decode()[-3000:]}")
                try:
                    if _is_ready(ready_url):
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield
        finally:
            process.terminate()
            process.wait(timeout=60)


def _is_ready(url: str) -> bool:
    """Ready, or (ours) serving a spam champion: a recommender that fails to load skips its rows only."""
    if httpx.get(url, timeout=1).status_code == 200:
        return True
    if not url.endswith("/readyz"):
        return False
    served = httpx.get(url.removesuffix("/readyz") + "/v1/models", timeout=1).json()["models"]
    return any(m["kind"] == "spam" and m["alias"] == "champion" for m in served)


def _serves_recsys(port: int) -> bool:
    served = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()["models"]
    return any(m["kind"] == "recsys" for m in served)


def _our_server(settings: Settings, port: int, database_url: str) -> Any:
    env = child_environment(
        settings={"home": str(settings.home), "database_url": database_url, "shadow_share": "0"}
    )
    command = [sys.executable, "-m", "closedloop", "serve", "--port", str(port)]
    return _server(command, env, f"http://127.0.0.1:{port}/readyz")


def _spam_body(number: int) -> bytes:
    return json.dumps({"text": MESSAGES[number % len(MESSAGES)]}).encode()


def _mlflow_body(number: int) -> bytes:
    return json.dumps({"dataframe_records": [{"text": MESSAGES[number % len(MESSAGES)]}]}).encode()


def _feedback(port: int) -> dict[str, float]:
    """Acknowledged (committed) feedback events per second, 32 concurrent clients."""
    items = [{"text": MESSAGES[i % len(MESSAGES)]} for i in range(1000)]
    answer = httpx.post(f"http://127.0.0.1:{port}/v1/spam/predict:batch", json={"items": items}, timeout=60)
    ids = [p["prediction_id"] for p in answer.json()["predictions"]]
    run = uuid.uuid4().hex[:8]

    def body(number: int) -> bytes:
        event = {
            "event_id": f"{run}-{number}",
            "prediction_id": ids[number % len(ids)],
            "kind": "report_spam",
        }
        return json.dumps(event).encode()

    drive(port, "/v1/feedback", body, concurrency=32, seconds=1.0)  # warm-up (and waits for the log commit)
    return drive(port, "/v1/feedback", body, concurrency=32, seconds=SECONDS).summary()


def _writer(database_url: str, clients: int = 32, per_client: int = 300) -> dict[str, float]:
    """The group-commit writer alone (no HTTP): `clients` threads each wait for every commit in turn."""
    store = open_store(database_url)
    records = [
        PredictionRecord(model="spam", model_version="bench", input={"text": m}, output={}) for m in MESSAGES
    ]
    with store.session() as session:
        log_predictions(session, rows=records)
    writer, run = FeedbackWriter(store, kinds={k.name: k for k in kinds()}), uuid.uuid4().hex[:8]

    def client(number: int) -> None:
        for i in range(per_client):
            event = FeedbackIn(
                event_id=f"{run}-{number}-{i}", prediction_id=records[i % len(records)].id, kind="report_spam"
            )
            writer.submit(event).result()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    writer.close()
    store.close()
    return {
        "per_s": clients * per_client / seconds,
        "events_per_commit": clients * per_client / writer.commits,
    }


def log_interactions(settings: Settings, database_url: str, *, total: int = LOGGED_INTERACTIONS) -> list[int]:
    """Write `total` interactions of the champion recommender's users into the store at `database_url` (in
    batches, as an import would) and return those users.

    A user logs as often as they rated in training, an item is picked as often as it was rated: the heaviest
    users' histories, which set the p99 of the fold-in, are as long as in a real log.
    """
    tracking.configure(settings)
    champion = f"models:/{registry.registered_name('recsys')}@{registry.CHAMPION}"
    estimator = load_wrapper(champion).estimator
    activity = np.diff(estimator.interactions_.indptr) + 1.0  # (users,) training interactions, +1
    popularity = estimator.popularity_ + 1.0  # (items,)
    rng = np.random.default_rng(0)
    users = rng.choice(estimator.users_.ids, size=total, p=activity / activity.sum())
    items = rng.choice(estimator.items_.ids, size=total, p=popularity / popularity.sum())
    kinds = rng.choice(len(KIND_SHARES), size=total, p=list(KIND_SHARES.values()))
    stars = rng.choice(np.arange(1.0, 6.0), size=total, p=STAR_SHARES)
    names = list(KIND_SHARES)

    def event(n: int) -> InteractionIn:
        kind = names[kinds[n]]
        value = float(stars[n]) if kind == "rating" else None
        user, item = int(users[n]), int(items[n])
        return InteractionIn(
            event_id=f"bench-{n}", model="recsys", user_id=user, item_id=item, kind=kind, value=value
        )

    store = open_store(database_url)
    try:
        for start in range(0, total, 5_000):
            with store.session() as session:
                record_interactions(
                    session, events=[event(n) for n in range(start, min(start + 5_000, total))]
                )
    finally:
        store.close()
    return [int(user) for user in estimator.users_.ids]


def recommendations(settings: Settings, scratch: Path) -> dict[str, float] | None:
    """`/v1/recommendations` at one client, every user in turn, with `LOGGED_INTERACTIONS` in the store
    (written before the server starts); None when the champion recommender does not load."""
    database_url = f"sqlite:///{scratch / 'recommend.db'}"
    try:
        users = np.random.default_rng(1).permutation(log_interactions(settings, database_url))
    except Exception as error:  # the server could not load it either: skip these rows, not the suite
        print(f"bench: the recommender champion did not load ({error!r}); skipped", flush=True)
        return None
    body = lambda n: json.dumps({"user_id": int(users[n % len(users)]), "k": 10}).encode()  # noqa: E731
    port = _free_port()
    with _our_server(settings, port, database_url):
        if not _serves_recsys(port):
            print("bench: the recommender champion did not load (see the server log); skipped", flush=True)
            return None
        drive(port, "/v1/recommendations", body, total=200)  # warm-up
        # every request counts: on a busy machine 2,000 of them take longer than `drive`'s default 10 s
        load = drive(port, "/v1/recommendations", body, total=2000, seconds=120.0)
    return {**load.summary(), "logged_interactions": float(LOGGED_INTERACTIONS)}


@contextmanager
def _scratch_postgres(admin_url: str) -> Iterator[str | None]:
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


def _ensure_champions(settings: Settings) -> None:
    """Serve the home's champions; a fresh home gets its first ones from the real retraining flow."""
    subprocess.run([sys.executable, "-m", "closedloop", "data", "fetch", "all"], check=True)
    client = tracking.configure(settings)
    for kind, name in ((k.name, k.config.registered_name) for k in kinds()):
        if registry.aliased_version(client, name=name, alias=registry.CHAMPION) is None:
            print(f"bench: {name} has no champion in {settings.home}; running `closedloop retrain {kind}`")
            subprocess.run(
                [sys.executable, "-m", "closedloop", "retrain", kind, "--reason", "bench"], check=True
            )


def run() -> dict[str, Any]:
    settings = get_settings()
    _ensure_champions(settings)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        port = _free_port()
        with _our_server(settings, port, f"sqlite:///{Path(scratch) / 'bench.db'}"):
            drive(port, "/v1/spam/predict", _spam_body, total=300)  # warm-up
            results["ours_single"] = drive(port, "/v1/spam/predict", _spam_body, total=3000).summary()
            results["ours_8"] = drive(
                port, "/v1/spam/predict", _spam_body, concurrency=8, seconds=SECONDS
            ).summary()
            results["feedback_sqlite"] = _feedback(port)
        recommend = recommendations(settings, Path(scratch))
        if recommend is not None:
            results["recommend_single"] = recommend
        results["writer_sqlite"] = _writer(f"sqlite:///{Path(scratch) / 'writer.db'}")
        mlflow_port = _free_port()
        command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/spam-filter@champion"]
        command += ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(mlflow_port)]
        env = child_environment(extra={"MLFLOW_TRACKING_URI": settings.tracking_uri})
        # MLflow execs `uvicorn` by name: this interpreter's scripts must come first on PATH.
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        with _server(command, env, f"http://127.0.0.1:{mlflow_port}/ping"):
            drive(mlflow_port, "/invocations", _mlflow_body, total=300)
            results["mlflow_single"] = drive(mlflow_port, "/invocations", _mlflow_body, total=3000).summary()
            results["mlflow_8"] = drive(
                mlflow_port, "/invocations", _mlflow_body, concurrency=8, seconds=SECONDS
            ).summary()
    with _scratch_postgres(settings.bench_postgres_url or "") as pg_url:
        if pg_url is not None and settings.bench_postgres_url:
            port = _free_port()
            with _our_server(settings, port, pg_url):
                results["feedback_postgres"] = _feedback(port)
            results["writer_postgres"] = _writer(pg_url)
    results["throughput_ratio"] = results["ours_8"]["per_s"] / max(results["mlflow_8"]["per_s"], 1e-9)
    return {"serving": results}


def tables(results: dict[str, Any]) -> str:
    r = results["serving"]
    rows = [
        ["our API, 1 client", "/v1/spam/predict", r["ours_single"]],
        ["our API, 8 clients", "/v1/spam/predict", r["ours_8"]],
        ["mlflow models serve, 1 client", "/invocations", r["mlflow_single"]],
        ["mlflow models serve, 8 clients", "/invocations", r["mlflow_8"]],
        ["our API, 32 clients, SQLite", "/v1/feedback (acked = committed)", r["feedback_sqlite"]],
    ]
    if "recommend_single" in r:
        logged = int(r["recommend_single"].get("logged_interactions", 0))
        who = f"our API, 1 client (known users, {logged:,} logged interactions)"
        rows.insert(4, [who, "/v1/recommendations", r["recommend_single"]])
    if "feedback_postgres" in r:
        rows.append(
            ["our API, 32 clients, PostgreSQL", "/v1/feedback (acked = committed)", r["feedback_postgres"]]
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
    return (
        "Spam filter champion served by our API and by `mlflow models serve --env-manager local` "
        "(one uvicorn worker each, same machine as the load client, HTTP/1.1 keep-alive):\n\n"
        + table
        + f"\n\nThroughput ratio at 8 clients (ours / MLflow): {r['throughput_ratio']:.1f}×\n\n"
        + "Group commit without HTTP (each thread waits for its commit before sending the next event):\n\n"
        + markdown_table(["writer", "events/s", "events per commit"], writers)
        + "\n"
    )
