"""A challenger refused for want of evidence is judged again on the live traffic it shadow-scored, once that
traffic is labelled — and promoted when it proves better. Real retrain flow, real MLflow, real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import corpora, registry
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.kinds.spam.snapshot import split_base_period
from closedloop.registry import tracking
from closedloop.registry.packaging import load_wrapper
from closedloop.serving import new_prediction_id
from closedloop.settings import Settings, get_settings
from closedloop.store import (
    PredictionRecord,
    alias_history,
    log_predictions,
    open_store,
    upsert_consensus_label,
)
from flows.regate import SHADOW_TAG, regate_challenger
from flows.retrain import retrain
from models.redaction import redact_pii
from models.spam.corpus import message_text
from tests.factories import drifting_spam_corpus
from tests.kernel.store.factories import SPAM


@pytest.fixture
def drift_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None) -> Iterator[Settings]:
    for key, value in {
        "HOME": str(tmp_path / "home"),
        "CANDIDATES": '{"spam": ["baseline"]}',
        "BASE_FRACTION": "0.5",
        "GATE_N_BOOTSTRAP": "500",
        "GATE_MIN_WINDOW": "30",
    }.items():
        monkeypatch.setenv(f"CLOSEDLOOP_{key}", value)
    get_settings.cache_clear()
    settings = get_settings()
    corpora.fetch(settings, SPAM_ASSASSIN, source=drifting_spam_corpus(tmp_path / "corpus"))
    yield settings
    get_settings.cache_clear()


def annotate(settings: Settings, texts: list[str], labels: list[int]) -> None:
    store = open_store(settings.store_url)
    with store.session() as session:
        for text, label in zip(texts, labels, strict=True):
            upsert_consensus_label(
                session, kind=SPAM, subject={"text": text}, label=label, source="annotation"
            )
    store.close()


def test_a_standing_challenger_is_promoted_once_its_shadow_traffic_is_labelled(
    drift_home: Settings, monkeypatch: pytest.MonkeyPatch
):
    assert retrain(model="spam", reason="test").promoted  # v1: the base period only
    _base, later = split_base_period(load_spam(drift_home), drift_home)
    texts = [redact_pii(message_text(s, b)) for s, b in zip(later["subject"], later["body"], strict=True)]
    labels = [int(y) for y in later["label"]]
    first = len(texts) * 2 // 5
    annotate(drift_home, texts[:first], labels[:first])

    # v2 learns the new campaign, but the gate asks for more evidence than there is: it stays challenger.
    monkeypatch.setenv("CLOSEDLOOP_GATE_MIN_WINDOW", "100000")
    get_settings.cache_clear()
    waiting = retrain(model="spam", reason="test")
    assert not waiting.promoted and waiting.evidence["rule"] == "window_too_small"
    monkeypatch.setenv("CLOSEDLOOP_GATE_MIN_WINDOW", "30")
    get_settings.cache_clear()
    assert regate_challenger("spam")["status"] == "waiting for labelled shadow traffic"

    # Live traffic: v1 serves the rest of the stream, v2 shadow-scores it; then people label it.
    champion, challenger = load_wrapper("models:/spam-filter/1"), load_wrapper("models:/spam-filter/2")
    served = champion.spam_probability(texts[first:])
    shadowed = challenger.spam_probability(texts[first:])
    records = [
        PredictionRecord(
            id=new_prediction_id(),
            model="spam",
            model_version="1",
            input={"text": text},
            output={"spam_probability": float(p), "is_spam": bool(p >= champion.threshold)},
            score=float(p),
            shadow_version="2",
            shadow_output={"spam_probability": float(q), "is_spam": bool(q >= challenger.threshold)},
        )
        for text, p, q in zip(texts[first:], served, shadowed, strict=True)
    ]
    store = open_store(drift_home.store_url)
    with store.session() as session:
        log_predictions(session, rows=records)
    store.close()
    annotate(drift_home, texts[first:], labels[first:])

    outcome = regate_challenger("spam")
    assert outcome["status"] == "judged" and outcome["promoted"], outcome
    assert outcome["shadow"] == len(records)
    client = tracking.configure(drift_home)
    assert str(registry.aliased_version(client, name="spam-filter", alias="champion").version) == "2"
    tags = client.get_model_version("spam-filter", "2").tags
    assert tags["gate.decision"] == "promote" and tags[SHADOW_TAG] == str(len(records))
    store = open_store(drift_home.store_url)
    with store.session() as session:
        moves = alias_history(session, registered_model="spam-filter")
    store.close()
    assert moves[0].alias == "challenger" and moves[0].to_version is None  # cleared by the promotion
    assert moves[1].to_version == "2" and moves[1].actor == "prefect:regate-challenger"
    assert regate_challenger("spam")["status"] == "no standing challenger"
