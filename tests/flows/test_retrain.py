"""The retraining loop end to end: snapshot → validate → train → register → gate → promote, for real."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from closedloop import registry
from closedloop.registry import tracking
from closedloop.settings import Settings
from closedloop.store import open_store, upsert_consensus_label
from flows.retrain import retrain
from models.spam.corpus import message_text
from services.api import create_app
from tests.factories import synthetic_message
from tests.kernel.store.factories import SPAM


def champion(settings: Settings) -> str | None:
    client = tracking.configure(settings)
    found = registry.aliased_version(client, name="spam-filter", alias=registry.CHAMPION)
    return str(found.version) if found else None


def add_labels(settings: Settings, n: int, *, seed: int, flip: float = 0.0) -> None:
    """`n` annotated messages from the corpus's own distribution (a `flip` share labelled wrongly)."""
    rng = np.random.default_rng(seed)
    store = open_store(settings.store_url)
    with store.session() as session:
        for i in range(n):
            label = int(rng.random() < 1 / 3)
            subject, body = synthetic_message(label, rng)
            given = label if rng.random() >= flip else 1 - label
            upsert_consensus_label(
                session,
                kind=SPAM,
                subject={"text": message_text(subject, body), "subject": subject, "body": body},
                label=given,
                source="annotation",
                provenance={"test": f"label-{seed}-{i}"},
            )
    store.close()


def test_first_model_is_promoted_identical_retrain_is_refused_and_rollback_works(spam_home: Settings):
    first = retrain(model="spam", reason="test")
    assert first.promoted, first.reason
    assert first.version == "1" and champion(spam_home) == "1"
    nothing_new = retrain(model="spam", reason="test")
    assert not nothing_new.promoted and nothing_new.evidence["rule"] == "window_too_small"
    assert "waiting for more evidence" in nothing_new.reason

    # 120 new labels from the same distribution: the newest 60 are the window, and a tie there is refused.
    add_labels(spam_home, 120, seed=3)
    second = retrain(model="spam", reason="test")
    assert not second.promoted
    assert second.evidence["window"]["n"] == 60
    assert "no significant improvement on the recent window" in second.reason
    assert champion(spam_home) == "1"
    client: MlflowClient = tracking.configure(spam_home)
    assert str(registry.aliased_version(client, name="spam-filter", alias="challenger").version) == "3"

    # The run carries its lineage and the gate's evidence.
    version = client.get_model_version("spam-filter", "3")
    run = client.get_run(version.run_id)
    assert run.data.tags["gate.decision"] == "refuse"
    assert len(run.data.tags["lineage.train_sha256"]) == 64
    assert "holdout_f1" in run.data.metrics and "selection_score" in run.data.metrics

    store = open_store(spam_home.store_url)
    registry.promote(client, store, name="spam-filter", version="3", actor="test", reason="by hand")
    move = registry.rollback(client, store, name="spam-filter", actor="test", reason="bad canary")
    assert (move.from_version, move.to_version) == ("3", "1")
    history = registry.history(store, name="spam-filter")
    assert history[0].reason.startswith("rollback from v3") and history[0].actor == "test"
    assert [m.to_version for m in history if m.alias == "champion"] == ["1", "3", "1"]
    store.close()

    # The dashboard's gate history shows the refusal beside the promotion, each with its evidence.
    with TestClient(create_app(spam_home.model_copy(update={"reload_seconds": 3600}))) as api:
        gate = api.get("/dashboard/api/summary").json()["models"][0]["gate"]
        page = api.get("/dashboard").text
    refused, waiting, promoted = gate["decisions"]
    assert [d["version"] for d in (refused, waiting, promoted)] == ["3", "2", "1"]
    assert [d["verdict"] for d in (refused, waiting, promoted)] == ["refuse", "refuse", "promote"]
    assert waiting["rule"] == "window_too_small" and waiting["reason"] == nothing_new.reason
    assert refused["reason"] == second.reason and refused["rule"] == "no_significant_improvement"
    assert refused["champion_version"] == "1" and refused["n"] == second.evidence["window"]["n"]
    bootstrap = second.evidence["window"]["bootstrap"]
    assert refused["delta"] == pytest.approx(bootstrap["estimate"], abs=1e-5)
    assert (refused["ci_low"], refused["ci_high"]) == pytest.approx(
        (bootstrap["ci_low"], bootstrap["ci_high"]), abs=1e-5
    )
    assert refused["p_value"] == pytest.approx(second.evidence["window"]["mcnemar"]["p_value"], rel=1e-4)
    assert refused["challenger_metrics"]["f1"] == pytest.approx(second.evidence["window"]["challenger"]["f1"])
    assert set(refused["champion_metrics"]) == {"f1", "fpr"}
    assert promoted["reason"] == first.reason and promoted["challenger_metrics"]["f1"] > 0.5
    assert "refused" in page and "no_significant_improvement" in page and "rollback from v3" in page


def test_poisoned_labels_train_a_candidate_the_gate_refuses(spam_home: Settings):
    assert retrain(model="spam", reason="test").promoted
    add_labels(spam_home, 600, seed=7, flip=0.3)  # 30 % of the labels are wrong

    poisoned = retrain(model="spam", reason="test")
    assert not poisoned.promoted, poisoned.reason
    assert champion(spam_home) == "1"
    assert poisoned.evidence["window"]["n"] == 300  # judged on evidence, not refused for want of it
    assert poisoned.evidence["holdout"]["challenger"]["f1"] <= poisoned.evidence["holdout"]["champion"]["f1"]


def test_a_failing_candidate_is_recorded_and_skipped_and_a_total_failure_is_a_no_candidate_decision(
    spam_home: Settings,
):
    assert retrain(model="spam", reason="test").promoted
    client = tracking.configure(spam_home)
    before = client.get_model_version("spam-filter", "1")

    survived = retrain(model="spam", reason="test", candidates=["baseline", "exploding-model"])
    assert survived.failed == ["exploding-model"] and survived.version == "2"
    assert "ValueError" in survived.evidence["failed_candidates"]["exploding-model"]
    nothing = retrain(model="spam", reason="test", candidates=["exploding-model"])
    assert not nothing.promoted and nothing.version == "" and nothing.champion == "1"
    assert nothing.evidence["rule"] == "no_candidate" and nothing.failed == ["exploding-model"]
    assert nothing.reason.startswith("no candidate could be trained: exploding-model: ValueError")
    failed_run = client.get_run(nothing.evidence["failures"]["exploding-model"]["run_id"])
    assert failed_run.info.status == "FAILED" and failed_run.data.tags["candidate.status"] == "failed"
    assert "unknown spam model" in failed_run.data.tags["candidate.error"]

    assert champion(spam_home) == "1"
    assert [v.version for v in registry.list_versions(client, name="spam-filter")] == ["2", "1"]
    assert client.get_model_version("spam-filter", "1").source == before.source
