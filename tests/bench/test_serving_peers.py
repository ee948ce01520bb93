"""The serving suite's pieces that run here in seconds: the load of real stream messages, the peers' pins,
the exported champion scorer, the bare peer app (in-process and as the process the suite starts), the
rounds in turns, and the table. BentoML and LitServe need their own virtualenvs (minutes): only the
benchmark builds and runs them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from scipy.stats import ks_2samp

from bench import serving
from bench.peers.bare import app_for
from bench.peers.interleaved import Target, measure
from bench.peers.launch import check_answers, peer_body, peer_server
from bench.peers.scorer import Scorer, export, load
from bench.peers.venvs import MODEL_STACK, PEERS, pins, venv_dir
from closedloop import corpora
from closedloop.kinds.spam.benchmarks import LOAD_MESSAGES, SpamBenchmarks
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.kinds.spam.packaging import SpamFilterModel
from closedloop.kinds.spam.snapshot import split_base_period
from closedloop.platform.processes import free_port
from closedloop.settings import Settings
from models.redaction import redact_pii
from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.corpus import message_texts
from tests.factories import synthetic_spam_corpus

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "Re: build failure on trunk\n\nThe nightly build broke after the parser patch; mail bob@example.org.",
    "Make money fast!!! Click here to claim your FREE prize, call +1 415 555 0100 now.",
    "Meeting notes\n\nAgenda: release schedule, kernel review, budget for Q3. Thanks, regards.",
    "Cheap loans approved in minutes. No credit check. Visit our casino for a bonus!",
] * 5
LABELS = np.array([0, 1, 0, 1] * 5)


def stream_texts(settings: Settings) -> list[str]:
    replaying = settings.model_copy(update={"base_fraction": settings.replay_base_fraction})
    return message_texts(split_base_period(load_spam(settings), replaying)[1])


def test_the_load_is_messages_of_the_replay_stream_drawn_at_random(settings: Settings, tmp_path: Path):
    source = synthetic_spam_corpus(tmp_path / "corpus", n_ham=500, n_spam=250)
    corpora.fetch(settings, SPAM_ASSASSIN, source=source)
    load = SpamBenchmarks().prediction_load(settings)
    texts = [r["text"] for r in load.requests]
    stream = stream_texts(settings)
    assert len(stream) > LOAD_MESSAGES == len(texts) == len(set(texts))  # a draw, without repeats
    assert set(texts) <= set(stream) and texts != stream[:LOAD_MESSAGES]  # from the stream, shuffled
    assert [r["text"] for r in load.pyfunc_records] == texts  # our API and MLflow get the same messages
    assert texts == [r["text"] for r in SpamBenchmarks().prediction_load(settings).requests]  # fixed seed
    median = int(np.median([len(t) for t in texts]))
    assert f"median {median:,} characters" in load.description
    assert load.peer_prepare is redact_pii


@pytest.mark.corpus
def test_the_load_has_the_length_distribution_of_the_real_stream(settings: Settings):
    load = SpamBenchmarks().prediction_load(settings)
    lengths = [len(r["text"]) for r in load.requests]
    stream = [len(t) for t in stream_texts(settings)]
    assert len(lengths) == LOAD_MESSAGES
    assert ks_2samp(lengths, stream).pvalue > 0.01
    assert abs(np.median(lengths) / np.median(stream) - 1) < 0.1


def test_the_peer_virtualenvs_pin_the_model_stack_of_the_lock():
    locked = set((ROOT / "requirements.lock").read_text().split())
    assert set(MODEL_STACK) <= locked  # else the champion's pickle may not load in a peer
    for peer in PEERS:
        assert all(re.fullmatch(r"[a-z-]+==[0-9.]+", pin) for pin in pins(peer))
    assert venv_dir("bentoml") != venv_dir("litserve")


@pytest.fixture
def champion() -> SpamFilterModel:
    return SpamFilterModel(TfidfLogisticSpamModel(min_df=1).fit(TEXTS, LABELS), threshold=0.5)


@pytest.fixture
def scorer_path(champion: SpamFilterModel, tmp_path: Path) -> Path:
    return export(champion.estimator, redact_pii, tmp_path / "scorer.pkl")


def test_the_bare_app_answers_the_champion_wrappers_probability(champion, scorer_path: Path):
    expected = champion.predict(None, pd.DataFrame({"text": TEXTS[:4]}))["spam_probability"]
    client = TestClient(app_for(scorer_path))
    served = [client.post("/predict", json={"text": text}).json()["score"] for text in TEXTS[:4]]
    assert served == pytest.approx(list(expected), abs=1e-12)
    assert isinstance(load(scorer_path), Scorer)
    assert client.post("/predict", json={"message": "x"}).status_code == 422


def test_the_bare_peer_process_is_measured_in_turns(scorer_path: Path):
    port = free_port()
    with peer_server("bare", scorer_path, port):
        check_answers(port, load(scorer_path), TEXTS[:2])
        body = peer_body(TEXTS)
        pooled = measure([Target("bare", port, "/predict", body)], rounds=2, seconds=0.3)
    assert set(pooled) == {"bare_single", "bare_8"}
    for figures in pooled.values():
        summary = figures.summary()
        assert summary["errors"] == 0 and summary["ok"] == summary["requests"] > 0
        assert figures.seconds >= 2 * 0.3


def test_the_table_names_every_server_and_the_overhead_over_the_floor():
    cell = {"per_s": 100.0, "p50_ms": 5.0, "p99_ms": 9.0, "errors": 0.0}
    measured = {"model": "spam", "path": "/v1/spam/predict", "load": "500 messages", "writer_sqlite":
                {"per_s": 1.0, "events_per_commit": 2.0}, "champion_alone_p50_ms": 2.5}  # fmt: skip
    for name in ("ours", "bare", "bentoml", "litserve", "mlflow"):
        measured |= {f"{name}_single": cell, f"{name}_8": cell}
    measured["ours_workers2_8"] = {**cell, "per_s": 150.0}
    measured["bare_single"] = {**cell, "p50_ms": 3.75}
    text = serving.tables({"serving": {**measured, **serving._ratios(measured)}})
    rows = ("our API, `--workers 2`, 8 clients", "bare FastAPI app (the floor), 1 client",
            "BentoML 1.4, 8 clients", "LitServe 0.2, 1 client", "mlflow models serve, 8 clients")  # fmt: skip
    for row in rows:
        assert f"| {row} |" in text
    assert "(our p50 − the bare app's): 1.25 ms" in text and "2 workers / 1 worker: 1.50×" in text
