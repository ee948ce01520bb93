"""Monitoring for real: a champion in a temp MLflow, predictions and feedback logged with the store's own
functions (as the API logs them), the flow under a temporary Prefect API, Evidently writing its workspace."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.app import app
from closedloop import registry
from closedloop.kinds.recsys.monitoring import recsys_quality, recsys_reactions
from closedloop.kinds.spam.packaging import log_spam_model
from closedloop.monitoring.report import drift_report, drift_summary
from closedloop.orchestration import triggers
from closedloop.registry import tracking
from closedloop.registry.packaging import load_wrapper
from closedloop.settings import Settings, get_settings
from closedloop.store import (
    FeedbackIn,
    FeedbackKind,
    PredictionRecord,
    log_predictions,
    open_store,
    recent_predictions,
    record_feedback,
    record_interactions,
)
from flows.monitor import monitor
from models.redaction import redact_pii
from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.corpus import message_text
from models.spam.descriptors import describe_texts, text_profile
from tests.factories import synthetic_message
from tests.kernel.store.factories import KINDS, interaction, logged, recsys_prediction
from tests.toy_kind import TOY

N_CURRENT = 120


def messages(n: int, seed: int, *, shifted: bool = False) -> tuple[list[str], list[int]]:
    """Model texts like the synthetic corpus's; `shifted`: shouting, links to new hosts, unknown words."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.random() < 1 / 3)
        subject, body = synthetic_message(label, rng)
        if shifted:
            subject = subject.upper() + "!!!"
            body = (
                f"{body} ACT NOW at https://crypto{int(rng.integers(99))}.example.io zorbix quantoken 77777!"
            )
        texts.append(redact_pii(message_text(subject, body)))
        labels.append(label)
    return texts, labels


def test_drift_is_found_in_a_shifted_window_only():
    profile = text_profile(messages(300, seed=1)[0])
    reference = describe_texts(messages(300, seed=2)[0], profile)
    runs = {}
    for name, shifted in (("same", False), ("shifted", True)):
        current = describe_texts(messages(150, seed=3, shifted=shifted)[0], profile)
        run = drift_report(
            reference, current, drift_share=0.5, name=name, timestamp=datetime.now(UTC), metadata={}, tags=[]
        )
        runs[name] = drift_summary(run, threshold=0.5)
    assert not runs["same"]["detected"] and runs["same"]["share"] < 0.5
    assert runs["shifted"]["detected"] and runs["shifted"]["share"] >= 0.5
    drifted = {c for c, v in runs["shifted"]["columns"].items() if v["drifted"]}
    assert {"uppercase_share", "exclamation_count", "url_count", "unseen_token_share"} <= drifted


def register_champion(settings: Settings) -> Any:
    """A small TF-IDF filter trained on corpus-like messages, registered as spam-filter's champion."""
    texts, labels = messages(300, seed=11)
    client = tracking.configure(settings)
    with tracking.training_run(settings, experiment="spam-filter", run_name="test"):
        model = TfidfLogisticSpamModel(min_df=1).fit(texts, np.array(labels))
        info = log_spam_model(model, 0.5, registered_name="spam-filter")
    store = open_store(settings.store_url)
    try:
        registry.promote(
            client,
            store,
            name="spam-filter",
            version=str(info.registered_model_version),
            actor="t",
            reason="t",
        )
    finally:
        store.close()
    return load_wrapper("models:/spam-filter@champion"), str(info.registered_model_version)


def serve(settings: Settings, wrapper: Any, version: str, *, seed: int, shifted: bool, at: datetime) -> None:
    """Log predictions as the API does (redacted text, champion's probability); feedback on a third."""
    texts, labels = messages(N_CURRENT, seed=seed, shifted=shifted)
    probabilities = wrapper.spam_probability(texts).tolist()
    records = [
        PredictionRecord(
            model="spam",
            model_version=version,
            input={"text": text},
            output={"spam_probability": p, "is_spam": p >= 0.5, "threshold": 0.5},
            score=p,
            created_at=at + timedelta(seconds=i),
        )
        for i, (text, p) in enumerate(zip(texts, probabilities, strict=True))
    ]
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            log_predictions(session, rows=records)
            for record, label in list(zip(records, labels, strict=True))[::3]:
                kind = "report_spam" if label else "not_spam"
                event = FeedbackIn(event_id=uuid.uuid4().hex, prediction_id=record.id, kind=kind, actor="u1")
                record_feedback(session, kinds=KINDS, event=event)
    finally:
        store.close()


def drift_events() -> list[Any]:
    """`closedloop.drift.detected` events the Prefect API has stored (it persists them in batches)."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter

    with get_client(sync_client=True) as client:
        page = client.read_events(
            filter=EventFilter(event=EventNameFilter(name=[triggers.DRIFT_EVENT])), limit=50
        )
    return list(page.events)


@pytest.fixture
def monitored_home(spam_home: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CLOSEDLOOP_MONITOR_WINDOW_SIZE", str(N_CURRENT))
    monkeypatch.setenv("CLOSEDLOOP_MONITOR_MIN_CURRENT", "50")
    get_settings.cache_clear()
    return get_settings()


def test_monitor_reports_from_the_store_and_emits_drift_only_when_found(monitored_home: Settings):
    settings = monitored_home
    wrapper, version = register_champion(settings)
    now = datetime.now(UTC)

    serve(settings, wrapper, version, seed=21, shifted=False, at=now - timedelta(hours=1))
    calm = monitor(model="spam")
    assert calm.skipped is None
    assert not calm.retrain_requested and calm.event_id is None
    latest = json.loads((settings.home / "reports" / "monitoring" / "spam" / "latest.json").read_text())
    assert set(latest) >= {"model", "created_at", "reference", "current", "drift", "quality", "html"}
    assert latest["model"] == "spam" and latest["html"] == "monitoring/spam/latest.html"
    datetime.fromisoformat(latest["created_at"])
    assert latest["reference"]["n"] > 0 and "holdout" in latest["reference"]["description"]
    assert latest["current"]["n"] == N_CURRENT and latest["current"]["since"] is not None
    assert not latest["drift"]["detected"] and latest["drift"]["threshold"] == 0.5
    assert {"score", "unseen_token_share", "uppercase_share"} <= set(latest["drift"]["columns"])
    for column in latest["drift"]["columns"].values():
        assert isinstance(column["score"], float) and isinstance(column["drifted"], bool) and column["method"]
    assert latest["quality"]["n_labeled"] == N_CURRENT // 3
    assert 0.0 <= latest["quality"]["f1"] <= 1.0 and "fpr" in latest["quality"]
    assert (settings.home / "reports" / latest["html"]).read_text().lstrip().startswith("<")

    serve(settings, wrapper, version, seed=22, shifted=True, at=now)
    drifted = monitor(model="spam")
    assert drifted.retrain_requested and drifted.event_id is not None
    assert drifted.summary["drift"]["detected"]
    assert {"uppercase_share", "unseen_token_share"} <= {
        name for name, c in drifted.summary["drift"]["columns"].items() if c["drifted"]
    }
    reports = list((settings.home / "reports" / "monitoring" / "spam").glob("2*.json"))
    assert len(reports) == 2

    from evidently.ui.workspace import Workspace

    workspace = Workspace(str(settings.home / "evidently"))
    (project,) = workspace.search_project("spam-filter")
    assert len(workspace.list_runs(project.id)) == 2

    deadline = time.monotonic() + 20
    while not (events := drift_events()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [str(e.id) for e in events] == [drifted.event_id]
    assert events[0].resource.id == triggers.resource_id("spam")
    assert events[0].payload["drift_share"] >= 0.5


def test_cli_on_an_empty_store_says_what_to_do(home: Path):
    result = CliRunner().invoke(app, ["monitor", "spam"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no spam predictions logged" in result.output
    assert "closedloop serve" in result.output
    assert "Traceback" not in result.output


def test_recsys_monitoring_reads_every_reaction_and_recommendation_drift(recsys_home: Settings):
    from closedloop.kinds.recsys.packaging import log_recommender
    from models.recsys.popularity import PopularityRecommender

    settings = recsys_home
    client = tracking.configure(settings)
    ratings = pd.DataFrame({"user_id": [1, 1, 2, 3], "item_id": [1, 2, 1, 3]})
    with tracking.training_run(settings, experiment="recommender", run_name="test"):
        info = log_recommender(
            PopularityRecommender().fit(ratings, item_ids=[1, 2, 3, 4]), {}, registered_name="recommender"
        )
    store = open_store(settings.store_url)
    version = str(info.registered_model_version)
    try:
        registry.promote(client, store, name="recommender", version=version, actor="t", reason="t")
        rows = [
            PredictionRecord(
                model="recsys",
                model_version=version,
                input={"user_id": 5000 + i % 7, "k": 3},  # unknown users only: a shift in who asks
                output={"items": [1, 2, 3], "scores": [3.0, 2.0, 1.0], "cold_start": True},
                score=3.0,
            )
            for i in range(60)
        ]
        # Lists 0-14 get a click on item 2 (rank 2); 15-19 a 4-star rating on item 3 (rank 3), then 1 star on
        # item 1 (the latest feedback is negative, the list is still a hit); 20-24 two stars on item 2 and
        # 25-29 a dismiss of item 1 (answered, no hit); 30-59 nothing.
        reactions: list[tuple[int, FeedbackKind, Any]] = [(i, "click", 2) for i in range(15)]
        for i in range(15, 20):
            reactions += [
                (i, "rating", {"item_id": 3, "rating": 4}),
                (i, "rating", {"item_id": 1, "rating": 1}),
            ]
        reactions += [(i, "rating", {"item_id": 2, "rating": 2}) for i in range(20, 25)]
        reactions += [(i, "dismiss", 1) for i in range(25, 30)]
        with store.session() as session:
            log_predictions(session, rows=rows)
            for i, kind, value in reactions:
                event = FeedbackIn(
                    event_id=uuid.uuid4().hex, prediction_id=rows[i].id, kind=kind, value=value, actor="u"
                )
                record_feedback(session, kinds=KINDS, event=event)
    finally:
        store.close()

    result = monitor(model="recsys")
    assert result.skipped is None
    quality = result.summary["quality"]
    counts = {k: quality[k] for k in ("n_lists", "n_answered", "n_hits", "n_clicked")}
    assert counts == {"n_lists": 60, "n_answered": 30, "n_hits": 20, "n_clicked": 15}
    assert quality["ctr"] == 0.25 and quality["hit_rate"] == pytest.approx(20 / 30)
    # Reciprocal rank 1/2 for the clicks, 1/3 for the liked third items, 0 for the ten lists without a hit.
    assert quality["mrr"] == pytest.approx((15 / 2 + 5 / 3) / 30)
    assert quality["ndcg"] == pytest.approx((15 / math.log2(3) + 5 / math.log2(4)) / 30)
    columns = result.summary["drift"]["columns"]
    assert set(columns) == {"user_requests", "user_history", "item_popularity", "top_score", "mean_score"}
    assert columns["user_history"]["drifted"]  # training users asked in the reference, strangers now
    assert (settings.home / "reports" / "monitoring" / "recsys" / "latest.html").exists()


def test_recsys_quality_counts_reactions_sent_only_as_interactions(settings: Settings):
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            lists = logged(session, *[recsys_prediction(user_id=u, items=(1, 2, 3)) for u in range(6)])
            # List 0: 4 stars on item 2 (a hit at rank 2); 1: 5 stars on item 3, then 1 star on item 1 (a
            # hit at rank 3); 2: 2 stars on item 1 and 3: a dismiss (answered, no hit); 4: a click on item 1
            # (a hit at rank 1); 5: nothing, but its user liked item 1 without naming the list (no reaction).
            answers: list[list[dict[str, Any]]] = [
                [{"item_id": 2, "kind": "rating", "value": 4.0}],
                [
                    {"item_id": 3, "kind": "rating", "value": 5.0},
                    {"item_id": 1, "kind": "rating", "value": 1.0},
                ],
                [{"item_id": 1, "kind": "rating", "value": 2.0}],
                [{"item_id": 3, "kind": "dismiss"}],
                [{"item_id": 1, "kind": "click"}],
                [],
            ]
            events = [
                interaction(user_id=u, prediction_id=lists[u].id, **answer)
                for u, given in enumerate(answers)
                for answer in given
            ]
            events.append(interaction(user_id=5, item_id=1, kind="rating", value=5.0))
            record_interactions(session, events=events)
            predictions = recent_predictions(session, model="recsys")
        assert predictions["feedback_kind"].isna().all()  # no feedback at all: interactions only
        quality = recsys_quality(predictions, recsys_reactions(predictions, store))
    finally:
        store.close()
    counts = {k: quality[k] for k in ("n_lists", "n_answered", "n_hits", "n_clicked")}
    assert counts == {"n_lists": 6, "n_answered": 5, "n_hits": 3, "n_clicked": 1}
    assert quality["hit_rate"] == pytest.approx(3 / 5) and quality["ctr"] == pytest.approx(1 / 6)
    assert quality["mrr"] == pytest.approx((1 / 2 + 1 / 3 + 1) / 5)
    assert quality["ndcg"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(4) + 1) / 5)


@pytest.fixture
def toy_home(home: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None) -> Iterator[Settings]:
    """A home where the tests' toy kind is registered beside the installed ones (`CLOSEDLOOP_KINDS`)."""
    monkeypatch.setenv("CLOSEDLOOP_KINDS", json.dumps([TOY]))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_a_kind_that_describes_no_traffic_is_reported_as_not_monitored(toy_home: Settings):
    result = monitor(model="toy")
    assert result.skipped is not None and result.skipped.startswith("toy is not monitored")
    assert "Toy model kind describes no traffic" in result.skipped
    assert not result.retrain_requested and result.summary == {} and result.event_id is None
    assert not (toy_home.home / "reports" / "monitoring" / "toy").exists()
