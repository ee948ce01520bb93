"""The gate's evidence as snapshots build it: the holdout from the base period only, the window of the newest
labels (interactions) neither model trained on, and the record of the newest row every decision read.

Real snapshots, real models and the real gate on small synthetic corpora, run at simulated time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from closedloop import clock, corpora
from closedloop.kinds import kind
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.recsys.snapshot import build_recsys_snapshot
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.kinds.spam.snapshot import build_spam_snapshot, fixed_holdout, split_base_period
from closedloop.retraining import pipeline
from closedloop.retraining.pipeline import Watermarks
from closedloop.settings import Settings
from closedloop.store import InteractionIn, Store, open_store, record_interactions, upsert_consensus_label
from models.spam.corpus import message_text
from tests.factories import drifting_spam_corpus, grouplens_zip, synthetic_spam_corpus

SPAM = kind("spam")


@pytest.fixture
def store(settings: Settings) -> Store:
    opened = open_store(settings.store_url)
    yield opened
    opened.close()


def label(store: Store, text: str, value: int, *, at: datetime) -> int:
    """One annotator label, written at simulated time `at`; returns its id."""
    with clock.simulated(at), store.session() as session:
        record, _ = upsert_consensus_label(
            session, kind=SPAM, label=value, source="annotation", subject={"text": text}
        )
    return record.id


def test_the_spam_holdout_is_drawn_from_the_base_period_only(settings: Settings, tmp_path: Path):
    settings = settings.model_copy(update={"base_fraction": 0.5})
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=80, n_spam=40)
    )
    messages = load_spam(settings)
    period, later = split_base_period(messages, settings)
    base, holdout = fixed_holdout(messages, settings)

    assert len(period) == 60 and len(later) == 60
    assert set(holdout["message_id"]) <= set(period["message_id"])  # nothing from the future
    assert set(holdout["message_id"]).isdisjoint(set(later["message_id"]))
    assert holdout["date"].max() <= later["date"].min()
    assert len(base) + len(holdout) == len(period)
    assert fixed_holdout(messages, settings)[1]["message_id"].tolist() == holdout["message_id"].tolist()


def test_the_window_is_the_newest_share_of_labels_since_the_champion(
    settings: Settings, store: Store, tmp_path: Path
):
    settings = settings.model_copy(update={"gate_window_fraction": 0.5})
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=60, n_spam=30)
    )
    start = datetime(2003, 1, 1, tzinfo=UTC)
    ids = [
        label(store, f"label number {i} " + ("prize" if i % 2 else "agenda"), i % 2, at=start + timedelta(i))
        for i in range(40)
    ]
    snapshot = build_spam_snapshot(settings, store, champion_upto_id=ids[9])

    # 30 labels are new to the champion: the newest 15 are the window, the challenger learns from the rest.
    assert snapshot.window["label_id"].tolist() == ids[25:]
    assert snapshot.lineage["window"] == {
        "champion_upto_id": ids[9],
        "n": 15,
        "first_label_id": ids[25],
        "last_label_id": ids[39],
        "trained_on": False,
    }
    assert Watermarks.of(snapshot) == Watermarks(labels=ids[24])
    assert set(snapshot.window["text"]).isdisjoint(set(snapshot.train["text"]))
    assert snapshot.lineage["reads"]["by_source"]["labels"] == (start + timedelta(39)).isoformat()

    refit = snapshot.refit()
    assert refit.window.empty and Watermarks.of(refit) == Watermarks(labels=ids[39])
    assert set(snapshot.window["text"]) <= set(refit.train["text"])

    everything_new = build_spam_snapshot(settings, store)  # no champion yet: all 40 labels are new
    assert len(everything_new.window) == 20


def drifting(settings: Settings, tmp_path: Path, *, seed: int = 0) -> Settings:
    settings = settings.model_copy(
        update={"base_fraction": 0.5, "gate_n_bootstrap": 500, "gate_min_window": 30, "seed": seed}
    )
    corpora.fetch(settings, SPAM_ASSASSIN, source=drifting_spam_corpus(tmp_path / "corpus", seed=seed))
    return settings


def first_champion(settings: Settings, store: Store) -> tuple[Any, Watermarks, pd.DataFrame]:
    """The first model, trained at the simulated moment the base period ends; and the later messages."""
    _base, later = split_base_period(load_spam(settings), settings)
    with clock.simulated(later["date"].min().to_pydatetime() - timedelta(seconds=1)):
        data = pipeline.snapshot(SPAM, settings, store, Watermarks())
        model = pipeline.train(SPAM, data, settings, "baseline")
    return pipeline.wrap(SPAM, model, data), Watermarks.of(data), later


def label_stream(store: Store, later: pd.DataFrame, *, flip: float = 0.0, seed: int = 0) -> datetime:
    """A label for every later message, at its own date (a `flip` share of them wrong); returns the last."""
    rng = np.random.default_rng(seed)
    for row in later.itertuples():
        value = int(row.label) if rng.random() >= flip else 1 - int(row.label)
        label(store, message_text(row.subject, row.body), value, at=row.date.to_pydatetime())
    return later["date"].max().to_pydatetime()


def test_a_challenger_that_learned_the_new_spam_is_promoted_on_the_window(
    settings: Settings, store: Store, tmp_path: Path
):
    settings = drifting(settings, tmp_path)
    champion, trained_on, later = first_champion(settings, store)
    last = label_stream(store, later)
    with clock.simulated(last + timedelta(minutes=1)):
        data = pipeline.snapshot(SPAM, settings, store, trained_on)
        challenger = pipeline.train(SPAM, data, settings, "baseline")
        decision = pipeline.judge(SPAM, challenger, champion, data, settings)

    evidence = decision.evidence
    assert decision.promote, decision.reason
    assert evidence["primary"] == "window" and evidence["window"]["n"] == len(data.window) >= 30
    assert evidence["window"]["challenger"]["f1"] > evidence["window"]["champion"]["f1"]
    assert evidence["checks"]["holdout_not_significantly_worse"]
    # What the decision read is all older than the decision: the labels' times, the base period's dates.
    newest = datetime.fromisoformat(evidence["reads"]["newest_event_at"])
    assert evidence["read_only_past"] and newest <= datetime.fromisoformat(evidence["decided_at"])
    assert newest == last


def test_a_challenger_trained_on_flipped_labels_is_refused(settings: Settings, store: Store, tmp_path: Path):
    settings = drifting(settings, tmp_path)
    champion, trained_on, later = first_champion(settings, store)
    last = label_stream(store, later, flip=0.3, seed=1)
    with clock.simulated(last + timedelta(minutes=1)):
        data = pipeline.snapshot(SPAM, settings, store, trained_on)
        decision = pipeline.judge(
            SPAM, pipeline.train(SPAM, data, settings, "baseline"), champion, data, settings
        )
    assert not decision.promote, decision.reason


def test_a_decision_made_before_the_rows_it_read_is_flagged(settings: Settings, store: Store, tmp_path: Path):
    settings = drifting(settings, tmp_path)
    champion, trained_on, later = first_champion(settings, store)
    label_stream(store, later.iloc[:80])
    # The same evidence judged at a moment before the newest label it reads: the check must catch it.
    with clock.simulated(later["date"].iloc[40].to_pydatetime()):
        data = pipeline.snapshot(SPAM, settings, store, trained_on)
        decision = pipeline.judge(
            SPAM, pipeline.train(SPAM, data, settings, "baseline"), champion, data, settings
        )
    assert decision.evidence["read_only_past"] is False


def interaction(user: int, item: int, kind: str, value: float | None, at: datetime) -> InteractionIn:
    return InteractionIn(
        event_id=f"{user}-{item}-{kind}-{at.timestamp()}",
        model="recsys",
        user_id=user,
        item_id=item,
        kind=kind,  # type: ignore[arg-type]
        value=value,
        occurred_at=at,
    )


def test_the_recommender_window_is_the_newest_interactions_and_negatives_are_removed(
    settings: Settings, store: Store, tmp_path: Path
):
    settings = settings.model_copy(update={"gate_window_fraction": 0.5})
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml.zip", n_users=12, n_items=20))
    start = datetime(1999, 1, 1, tzinfo=UTC)
    events = [
        interaction(1, 3, "dismiss", None, start),  # user 1 rated item 3 in the corpus: now turned down
        interaction(50, 2, "rating", 5.0, start + timedelta(hours=1)),  # a new user
        interaction(50, 5, "click", None, start + timedelta(hours=2)),
        interaction(50, 7, "rating", 1.0, start + timedelta(hours=3)),  # a low rating: a negative
        interaction(51, 2, "view", None, start + timedelta(hours=4)),
        interaction(50, 9, "rating", 4.0, start + timedelta(hours=5)),  # window from here on
        interaction(51, 6, "click", None, start + timedelta(hours=6)),
        interaction(50, 5, "rating", 5.0, start + timedelta(hours=7)),  # already liked before the window
        interaction(52, 4, "rating", 2.0, start + timedelta(hours=8)),
    ]
    with clock.simulated(start + timedelta(days=1)), store.session() as session:
        stored = record_interactions(session, events=events)
    ids = [record.id for record, _ in stored]
    snapshot = build_recsys_snapshot(settings, store, champion_interactions_upto_id=ids[0])

    train = set(map(tuple, snapshot.train[["user_id", "item_id"]].to_numpy()))
    assert (1, 3) not in train, "a dismissal removes the pair from what the user likes"
    assert {(50, 2), (50, 5), (51, 2)} <= train and (50, 7) not in train
    assert (50, 9) not in train and (51, 6) not in train, "the window is not trained on"
    window = set(map(tuple, snapshot.window[["user_id", "item_id"]].to_numpy()))
    assert window == {(50, 9), (51, 6)}, "new positives only; a low rating and a known item are not relevant"
    assert snapshot.lineage["window"]["events"] == 4 and snapshot.lineage["window"]["n"] == 2
    assert Watermarks.of(snapshot).interactions == ids[4]
    assert snapshot.lineage["reads"]["by_source"]["interactions"] == (start + timedelta(hours=8)).isoformat()
    refit = snapshot.refit()
    assert {(50, 9), (51, 6)} <= set(map(tuple, refit.train[["user_id", "item_id"]].to_numpy()))
    assert Watermarks.of(refit).interactions == ids[-1]
