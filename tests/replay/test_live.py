"""The replay against a real API: uvicorn on a free port in this process, the CLI as a user runs it, and the
store afterwards — predictions served by the champion and the users' feedback committed against them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest
import uvicorn
from sqlalchemy import func, select

from closedloop import corpora, registry
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.recsys.packaging import log_recommender
from closedloop.kinds.recsys.snapshot import build_recsys_snapshot
from closedloop.kinds.recsys.training import train_recsys_candidate
from closedloop.kinds.recsys.visits import later_ratings, visits
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.kinds.spam.packaging import log_spam_model
from closedloop.kinds.spam.replay import SpamReplay
from closedloop.kinds.spam.snapshot import build_spam_snapshot
from closedloop.kinds.spam.training import train_spam_candidate
from closedloop.registry import tracking
from closedloop.settings import Settings
from closedloop.store import log_predictions, open_store, read_interactions
from closedloop.store.tables import ConsensusLabel, FeedbackEvent, LabelingItem, Prediction
from models.redaction import redact_pii
from models.spam.corpus import message_text
from replay import AnnotationDesk, ReplayOptions, replay
from services.api import create_app
from tests.factories import CLIENT_KEY, grouplens_zip, synthetic_spam_corpus, write_api_keys
from tests.kernel.store.factories import SPAM, recsys_prediction


def later_messages(settings: Settings) -> pd.DataFrame:
    """The spam messages the replay streams (after the first champion's base period)."""
    return SpamReplay(settings).messages


def first_champions(settings: Settings) -> None:
    """Train both first models on the earliest `base_fraction` and make them champion (as the demo does)."""
    client = tracking.configure(settings)
    store = open_store(settings.store_url)
    try:
        spam = train_spam_candidate(build_spam_snapshot(settings, store), "baseline")
        recsys_data = build_recsys_snapshot(settings, store)
        recsys = train_recsys_candidate(recsys_data, "popularity")
        titles = dict(
            zip(recsys_data.catalogue["item_id"].astype(int), recsys_data.catalogue["title"], strict=True)
        )
        for name, log_model in (
            (
                "spam-filter",
                lambda: log_spam_model(spam.estimator, spam.threshold or 0.5, registered_name="spam-filter"),
            ),
            ("recommender", lambda: log_recommender(recsys.estimator, titles, registered_name="recommender")),
        ):
            with tracking.training_run(settings, experiment=name, run_name="first"):
                version = str(log_model().registered_model_version)
            registry.promote(client, store, name=name, version=version, actor="test", reason="first champion")
    finally:
        store.close()


@pytest.fixture(scope="module")
def replay_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("replay")
    settings = Settings(home=root / "home", base_fraction=0.4)
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(root / "corpus", n_ham=120, n_spam=60)
    )
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(root / "ml.zip", n_users=30, n_items=40))
    first_champions(settings)
    write_api_keys(settings.home)  # the API and `closedloop simulate` both read them from the home
    return settings.home


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The real API app under uvicorn on a port the OS picked; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.fixture
def api(replay_home: Path) -> Iterator[str]:
    with serving(Settings(home=replay_home, base_fraction=0.4, reload_seconds=0.5)) as url:
        yield url


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home), "CLOSEDLOOP_BASE_FRACTION": "0.4"}
    return subprocess.run(
        [sys.executable, "-m", "cli", "simulate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def stored(home: Path, model: str) -> tuple[int, int]:
    store = open_store(Settings(home=home).store_url)
    try:
        with store.session() as session:
            predictions = session.scalar(select(func.count()).where(Prediction.model == model))
            feedback = session.scalar(
                select(func.count())
                .select_from(FeedbackEvent)
                .join(Prediction)
                .where(Prediction.model == model)
            )
        return int(predictions or 0), int(feedback or 0)
    finally:
        store.close()


def test_spam_replay_through_the_cli_lands_predictions_and_feedback(replay_home: Path, api: str):
    before = stored(replay_home, "spam")
    done = run_cli(
        "spam", "--api", api, "--limit", "25", "--rate", "0", "--feedback-rate", "0.6",
        "--wrong-share", "0.2", "--json", home=replay_home,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tally = json.loads(done.stdout)
    assert tally["requests"] == 25 and tally["versions"] == {"1": 25}
    assert 0 < tally["feedback"] < 25 and tally["rejected_feedback"] == 0 and tally["rejected_requests"] == 0
    assert tally["stream"] == len(later_messages(Settings(home=replay_home, base_fraction=0.4)))
    time.sleep(0.5)  # predictions are logged by a background writer; feedback waits for them anyway
    after = stored(replay_home, "spam")
    assert after[0] - before[0] == 25
    assert after[1] - before[1] == tally["feedback"]


def test_recsys_replay_logs_each_visits_ratings_through_the_interaction_log(replay_home: Path, api: str):
    settings = Settings(home=replay_home, base_fraction=0.4)
    before = stored(replay_home, "recsys")
    with httpx.Client(base_url=api, timeout=30) as client:
        tally = replay(
            "recsys",
            client=client,
            settings=settings,
            options=ReplayOptions(api_key=CLIENT_KEY, limit=15, rate=0, feedback_rate=1.0, seed=3),
        )
    found = visits(later_ratings(settings))
    assert tally.requests == 15 and tally.stream == len(found)
    # Every visit's ratings are logged once, accepted; the ones reporting on a recommendation say which.
    assert tally.interactions == sum(len(v.rated) for v in found[:15]) and tally.rejected_feedback == 0
    assert tally.wrong_feedback == 0
    after = stored(replay_home, "recsys")
    assert after[0] - before[0] == 15 and after[1] == before[1], "no feedback events: interactions instead"
    store = open_store(settings.store_url)
    with store.session() as session:
        logged = read_interactions(session, model="recsys").frame
    store.close()
    assert len(logged) == tally.interactions
    assert logged["prediction_id"].notna().sum() == tally.feedback


def test_bad_options_are_clear_cli_errors(replay_home: Path):
    wrong = run_cli("spam", "--wrong-share", "1.5", home=replay_home)
    assert wrong.returncode == 2 and "--wrong-share" in wrong.stderr and "Traceback" not in wrong.stderr
    nowhere = run_cli("spam", "--api", "ftp://x", home=replay_home)
    assert nowhere.returncode == 2 and "http(s) URL" in nowhere.stderr
    down = run_cli("spam", "--api", "http://127.0.0.1:9", "--ready-timeout", "1", home=replay_home)
    assert down.returncode == 2 and "closedloop serve" in down.stderr and "Traceback" not in down.stderr


def test_nothing_to_replay_names_the_setting(replay_home: Path):
    env = {**os.environ, "CLOSEDLOOP_HOME": str(replay_home), "CLOSEDLOOP_BASE_FRACTION": "1.0"}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "simulate", "spam"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2 and "CLOSEDLOOP_BASE_FRACTION" in done.stderr


def test_visits_group_a_users_ratings_and_know_their_future():
    ratings = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 1],
            "item_id": [10, 11, 20, 12],
            "rating": [5, 2, 4, 3],
            "timestamp": [0, 60, 100, 9000],
        }
    )
    found = visits(ratings)
    assert [(v.user_id, v.timestamp) for v in found] == [(1, 0), (2, 100), (1, 9000)]
    assert found[0].rated == {10: 5, 11: 2} and found[0].future == {10: 5, 11: 2, 12: 3}
    assert found[2].future == {12: 3}


def test_annotators_answer_the_queue_while_traffic_flows(replay_home: Path, api: str):
    settings = Settings(
        home=replay_home, base_fraction=0.4, replay_annotation_delay=0.0, labeling_hash_memory_kib=8192
    )
    desk = AnnotationDesk("spam", settings, seed=0, every_s=0.0)
    try:
        with httpx.Client(base_url=api, timeout=30) as client:
            tally = replay(
                "spam",
                client=client,
                settings=settings,
                options=ReplayOptions(api_key=CLIENT_KEY, limit=12, rate=0, feedback_rate=0.5),
                desk=desk,
            )
    finally:
        desk.close()
    assert tally.annotator_labels > 0
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            labels = list(
                session.scalars(select(ConsensusLabel).where(ConsensusLabel.source == "annotation"))
            )
    finally:
        store.close()
    # Two simulated annotators agreed from the corpus's own labels, through the labeling kernel.
    assert labels and all(len(label.provenance["annotators"]) == 2 for label in labels)
    later = later_messages(settings)
    truth = {
        SPAM.subject_key({"text": redact_pii(message_text(s, b))}): int(y)
        for s, b, y in zip(later["subject"], later["body"], later["label"], strict=True)
    }
    assert sum(truth[label.subject_key] == label.label for label in labels) >= 0.8 * len(labels)


def test_the_desks_refill_shows_movie_titles_and_the_users_history(tmp_path: Path):
    """The demo's annotators refill the queue as deployed: a movie item carries its title and the user's
    newest ratings, for the people who answer the same queue in `/label`."""
    settings = Settings(
        home=tmp_path / "home", base_fraction=0.4, labeling_random_share=1.0, replay_annotation_delay=3600.0
    )
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml.zip", n_users=4, n_items=6))
    store = open_store(settings.store_url)
    try:
        with store.session() as session:
            log_predictions(session, rows=[recsys_prediction(user_id=1, items=(3, 4))])
    finally:
        store.close()
    desk = AnnotationDesk("recsys", settings, every_s=0.0)
    try:
        assert desk.maybe_work() == 0  # nothing has waited an hour: the desk only refilled
        with desk.store.session() as session:
            subjects = {s["item_id"]: s for s in session.scalars(select(LabelingItem.subject))}
    finally:
        desk.close()
    assert set(subjects) == {3, 4}
    assert subjects[3]["title"].startswith("Movie 3") and subjects[4]["title"].startswith("Movie 4")
    history = subjects[3]["history"]
    assert history and all(h["title"].startswith(f"Movie {h['item_id']}") for h in history)


def test_a_message_the_api_refuses_is_counted_and_skipped(replay_home: Path):
    """The real corpus holds a message longer than the API's field cap: the replay goes on past its 422."""
    messages = later_messages(Settings(home=replay_home, base_fraction=0.4))
    cap = int(messages["body"].str.len().median())
    settings = Settings(home=replay_home, base_fraction=0.4, reload_seconds=0.5, max_text_chars=cap)
    too_long = int((messages["body"].str.len() > cap).sum())
    assert 0 < too_long < len(messages), "the synthetic corpus should hold both short and long bodies"
    with serving(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        tally = replay(
            "spam",
            client=client,
            settings=settings,
            options=ReplayOptions(api_key=CLIENT_KEY, rate=0, seed=1),
        )
    assert tally.requests == len(messages) and tally.rejected_requests == too_long
    assert sum(tally.versions.values()) == len(messages) - too_long


def _sent(replay_home: Path, api: str, *, limit: int, cursor: Path | None) -> list[bytes]:
    """The prediction requests one spam replay of `limit` items sends, in order."""
    bodies: list[bytes] = []

    def record(request: httpx.Request) -> None:
        if request.method == "POST" and "predict" in request.url.path:
            bodies.append(request.content)

    settings = Settings(home=replay_home, base_fraction=0.4)
    with httpx.Client(base_url=api, timeout=30, event_hooks={"request": [record]}) as client:
        replay("spam", client=client, settings=settings,
               options=ReplayOptions(api_key=CLIENT_KEY, limit=limit, rate=0, feedback_rate=0.0,
                                     cursor=cursor))  # fmt: skip
    return bodies


def test_a_second_replay_resumes_where_the_first_stopped(replay_home: Path, api: str, tmp_path: Path):
    """The demo keeps a cursor per kind: a second `make demo` goes on from the next message, not message 1."""
    cursor = tmp_path / "replay" / "spam.cursor.json"
    first = _sent(replay_home, api, limit=6, cursor=cursor)
    assert json.loads(cursor.read_text()) == {
        "stream": len(later_messages(Settings(home=replay_home, base_fraction=0.4))),
        "passes": 0,
        "position": 6,
    }
    second = _sent(replay_home, api, limit=6, cursor=cursor)
    from_the_start = _sent(replay_home, api, limit=12, cursor=None)
    assert first + second == from_the_start and first != second
    assert json.loads(cursor.read_text())["position"] == 12


def test_the_cursor_moves_to_the_next_pass_at_the_streams_end(replay_home: Path, api: str, tmp_path: Path):
    stream = len(later_messages(Settings(home=replay_home, base_fraction=0.4)))
    cursor = tmp_path / "spam.cursor.json"
    cursor.write_text(json.dumps({"stream": stream, "passes": 0, "position": stream - 2}))
    assert len(_sent(replay_home, api, limit=5, cursor=cursor)) == 2  # the rest of pass 1, then it stops
    assert json.loads(cursor.read_text()) == {"stream": stream, "passes": 1, "position": 0}
    # One pass was asked for and is done: a replay resumed from here sends nothing.
    assert _sent(replay_home, api, limit=5, cursor=cursor) == []
    # A cursor kept for another stream (the corpus changed) is not trusted: the replay starts over.
    cursor.write_text(json.dumps({"stream": stream + 7, "passes": 0, "position": 3}))
    assert _sent(replay_home, api, limit=3, cursor=cursor) == _sent(replay_home, api, limit=3, cursor=None)


def test_simulate_takes_the_cursor_the_demo_passes(replay_home: Path, api: str, tmp_path: Path):
    cursor = tmp_path / "cli.cursor.json"
    for _ in range(2):
        done = run_cli("spam", "--api", api, "--limit", "3", "--rate", "0", "--feedback-rate", "0",
                       "--cursor", str(cursor), "--json", home=replay_home)  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert json.loads(cursor.read_text())["position"] == 6
