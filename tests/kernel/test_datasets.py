"""Data tests of training snapshots: schema, empties, duplicates, label conflicts, leakage, balance, PII."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from closedloop import corpora
from closedloop.kinds.recsys.checks import validate_recsys
from closedloop.kinds.spam.checks import validate_spam
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.kinds.spam.snapshot import build_spam_snapshot
from closedloop.retraining.checks import DataValidationError
from closedloop.settings import Settings
from closedloop.store import open_store, upsert_consensus_label
from models.redaction import redact_pii
from tests.factories import synthetic_spam_corpus
from tests.kernel.store.factories import SPAM


def spam_rows(*rows: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"text": [t for t, _ in rows], "label": [lbl for _, lbl in rows], "source": "corpus"})


HOLDOUT = spam_rows(("held out message about the kernel build", 0))


def test_spam_checks_repair_what_is_safe_and_count_it():
    train = spam_rows(
        ("Cheap pills", 1),
        ("cheap   PILLS", 1),  # the same text twice (case/space-folded): kept once
        ("Win a prize", 1),
        ("win a prize", 0),  # one text with both labels: dropped
        ("   ", 0),  # empty
        ("Held out message about the kernel build", 0),  # leaks into the holdout
        ("meeting at noon", 0),
        ("lunch friday", 0),
        ("patch attached", 0),
    )
    clean, report = validate_spam(train, holdout=HOLDOUT, min_spam_share=0.05, max_spam_share=0.8)
    assert report.dropped == {
        "empty_text": 1,
        "conflicting_labels": 2,
        "duplicate_text": 1,
        "holdout_leakage": 1,
    }
    assert report.rows_out == len(clean) == 4
    assert set(clean["text"]) == {"cheap   PILLS", "meeting at noon", "lunch friday", "patch attached"}


def test_spam_label_outside_the_label_set_is_refused():
    with pytest.raises(DataValidationError, match="0 or 1"):
        validate_spam(spam_rows(("a", 2), ("b", 0)), holdout=HOLDOUT, min_spam_share=0, max_spam_share=1)


def test_spam_balance_far_off_is_refused():
    rows = spam_rows(*[(f"spam offer {i}", 1) for i in range(19)], ("hello", 0))
    with pytest.raises(DataValidationError, match=r"spam share 0\.950"):
        validate_spam(rows, holdout=HOLDOUT, min_spam_share=0.05, max_spam_share=0.8)


def test_a_flood_of_one_sided_labels_is_bounded_not_a_refusal_of_every_snapshot():
    """2,000 one-sided reports once blocked every later snapshot (share past the limit): now the newest
    non-corpus labels beyond the limit wait, the corpus is kept whole, and the share sits at the limit."""
    corpus = spam_rows(*[(f"meeting notes {i}", 0) for i in range(8)], ("cheap pills", 1), ("win cash", 1))
    flood = pd.DataFrame(
        {"text": [f"status report {i}" for i in range(40)], "label": 1, "source": "user_feedback"}
    )
    clean, report = validate_spam(
        pd.concat([corpus, flood], ignore_index=True),
        holdout=HOLDOUT,
        min_spam_share=0.05,
        max_spam_share=0.8,
    )
    assert report.dropped["label_share_excess"] == 10 and report.stats["spam_share"] == 0.8
    assert set(corpus["text"]) <= set(clean["text"])
    assert set(clean["text"]) & set(flood["text"]) == {f"status report {i}" for i in range(30)}  # oldest kept
    hams = pd.DataFrame({"text": [f"lunch {i}" for i in range(400)], "label": 0, "source": "annotation"})
    clean, report = validate_spam(
        pd.concat([corpus, hams], ignore_index=True), holdout=HOLDOUT, min_spam_share=0.05, max_spam_share=0.8
    )
    assert report.dropped["label_share_excess"] == 370 and report.stats["spam_share"] == 0.05


def test_spam_missing_column_is_refused():
    with pytest.raises(DataValidationError, match="lacks columns"):
        validate_spam(pd.DataFrame({"text": ["x"]}), holdout=HOLDOUT, min_spam_share=0, max_spam_share=1)


def test_pii_is_redacted_for_training():
    rows = spam_rows(("write to jane.doe@example.com or call +1 (555) 123-4567", 0), ("free money", 1))
    clean, report = validate_spam(rows, holdout=HOLDOUT, min_spam_share=0, max_spam_share=1)
    assert "jane.doe" not in clean["text"].iloc[0] and "<email>" in clean["text"].iloc[0]
    assert "<phone>" in clean["text"].iloc[0]
    assert report.stats["pii_redacted_rows"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob@mail.example.org now", "mail <email> now"),
        ("call 555-123-4567", "call <phone>"),
        ("order 1234567890 on 2002-08-06 for $1,299.00", "order 1234567890 on 2002-08-06 for $1,299.00"),
        ("server 192.168.1.10 version 2.4.6", "server 192.168.1.10 version 2.4.6"),
    ],
)
def test_redaction_keeps_what_is_not_personal(text: str, expected: str):
    assert redact_pii(text) == expected


def test_recsys_checks_drop_unknown_items_duplicates_and_leaks():
    train = pd.DataFrame({"user_id": [1, 1, 1, 2, 2], "item_id": [5, 5, 99, 6, 7], "source": "corpus"})
    holdout = pd.DataFrame({"user_id": [2], "item_id": [7]})
    clean, report = validate_recsys(train, holdout=holdout, n_items=10)
    assert report.dropped == {"unknown_item": 1, "duplicate_pair": 1, "holdout_leakage": 1}
    assert sorted(map(tuple, clean[["user_id", "item_id"]].to_numpy())) == [(1, 5), (2, 6)]


def test_snapshot_is_reproducible_and_withholds_the_newest_labels(settings: Settings, tmp_path: Path):
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=60, n_spam=30)
    )
    settings = settings.model_copy(update={"gate_window_fraction": 0.25})
    store = open_store(settings.store_url)
    with store.session() as session:
        for i in range(20):
            upsert_consensus_label(
                session,
                kind=SPAM,
                label=i % 2,
                source="annotation",
                subject={"text": f"label number {i} " + ("prize" if i % 2 else "agenda")},
            )
    first = build_spam_snapshot(settings, store)
    again = build_spam_snapshot(settings, store, upto_id=first.lineage["feedback_watermark"]["last_label_id"])
    with store.session() as session:
        upsert_consensus_label(
            session, kind=SPAM, label=1, source="annotation", subject={"text": "a newer one"}
        )
    pinned = build_spam_snapshot(
        settings, store, upto_id=first.lineage["feedback_watermark"]["last_label_id"]
    )
    store.close()

    assert first.lineage["train_sha256"] == again.lineage["train_sha256"] == pinned.lineage["train_sha256"]
    assert len(first.window) == 5 and first.lineage["labels_in_training"] == 15
    assert set(first.window["text"]).isdisjoint(set(first.train["text"]))
    assert len(first.holdout) == 18  # 20 % of 90 messages, stratified
    assert set(first.holdout["text"]).isdisjoint(set(first.train["text"]))
