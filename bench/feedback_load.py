"""Feedback throughput for the serving benchmark: acknowledged events per second through our API, and the
group-commit writer alone — on predictions of the kind the suite measures (`PredictionLoad`)."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx

from bench.contract import PredictionLoad
from bench.loadgen import drive
from closedloop.kinds import kinds
from closedloop.store import FeedbackIn, PredictionRecord, log_predictions, open_store
from closedloop.store.writer import FeedbackWriter

SECONDS = 8.0


def feedback(port: int, load: PredictionLoad) -> dict[str, float]:
    """Acknowledged (committed) feedback events per second, 32 concurrent clients, on 1,000 predictions."""
    items = [load.requests[i % len(load.requests)] for i in range(1000)]
    ids = []
    for batch in _batches(items):
        answer = httpx.post(f"http://127.0.0.1:{port}{load.batch_path}", json={"items": batch}, timeout=60)
        answer.raise_for_status()
        ids += [p["prediction_id"] for p in answer.json()["predictions"]]
    run = uuid.uuid4().hex[:8]

    def body(number: int) -> bytes:
        event = {"event_id": f"{run}-{number}", "prediction_id": ids[number % len(ids)], **load.feedback}
        return json.dumps(event).encode()

    drive(port, "/v1/feedback", body, concurrency=32, seconds=1.0)  # warm-up (and waits for the log commit)
    return drive(port, "/v1/feedback", body, concurrency=32, seconds=SECONDS).summary()


def _batches(items: list[dict], most_bytes: int = 512 * 1024) -> list[list[dict]]:
    """`items` in batches whose bodies stay under `most_bytes` (half the API's default body limit: real
    messages are long, and a batch of 1,000 is several MB)."""
    batches: list[list[dict]] = [[]]
    size = 0
    for item in items:
        item_bytes = len(json.dumps(item).encode())
        if batches[-1] and size + item_bytes > most_bytes:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item_bytes
    return batches


def writer(
    database_url: str, model: str, load: PredictionLoad, clients: int = 32, per_client: int = 300
) -> dict[str, float]:
    """The group-commit writer alone (no HTTP): `clients` threads each wait for every commit in turn."""
    store = open_store(database_url)
    records = [
        PredictionRecord(model=model, model_version="bench", input=request, output={})  # type: ignore[arg-type]
        for request in load.requests
    ]
    with store.session() as session:
        log_predictions(session, rows=records)
    committer, run = FeedbackWriter(store, kinds={k.name: k for k in kinds()}), uuid.uuid4().hex[:8]

    def client(number: int) -> None:
        for i in range(per_client):
            event = FeedbackIn(
                event_id=f"{run}-{number}-{i}", prediction_id=records[i % len(records)].id, **load.feedback
            )
            committer.submit(event).result()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    committer.close()
    store.close()
    return {
        "per_s": clients * per_client / seconds,
        "events_per_commit": clients * per_client / committer.commits,
    }
