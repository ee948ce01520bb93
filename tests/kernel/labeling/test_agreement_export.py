"""The agreement summary and the consensus export, on a small labelled history."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from closedloop.labeling import (
    QueuePolicy,
    UserRecord,
    add_gold_items,
    adjudicate,
    agreement_summary,
    export_consensus,
    refill_queue,
)
from closedloop.store import upsert_consensus_label
from tests.kernel.labeling.handed import label_handed
from tests.kernel.store.factories import RECSYS, logged, spam_prediction


def labelled_history(session: Session, make_user: Callable[..., UserRecord]) -> None:
    """Four items labelled by ann and bob (ann: 1 1 0 0, bob: 1 0 0 0), one disputed item adjudicated to
    1, one gold spam item (ann right, bob wrong)."""
    logged(session, *(spam_prediction(subject=f"m{i}", score=0.6 - i / 100) for i in range(4)))
    refill_queue(session, model="spam", policy=QueuePolicy(batch_size=10, random_share=0.0))
    add_gold_items(session, model="spam", items=[{"subject": "gold", "body": "spam"}], labels=[1])
    ann, bob, judge = make_user("ann"), make_user("bob"), make_user("judge", "adjudicator")
    for item_id, (a, b) in zip((1, 2, 3, 4), [(1, 1), (1, 0), (0, 0), (0, 0)], strict=True):
        label_handed(session, item_id=item_id, user=ann, label=a)
        label_handed(session, item_id=item_id, user=bob, label=b)
    adjudicate(session, item_id=2, user=judge, label=1)
    label_handed(session, item_id=5, user=ann, label=1)
    label_handed(session, item_id=5, user=bob, label=0)


def test_agreement_summary(session: Session, make_user: Callable[..., UserRecord]) -> None:
    labelled_history(session, make_user)
    summary = agreement_summary(session)
    [pair] = summary.pairs
    # 5 shared items (incl. gold): ann 1 1 0 0 1, bob 1 0 0 0 0 -> p_o 3/5, p_e (3*1 + 2*4)/25 = 11/25
    assert (pair.annotator_a, pair.annotator_b, pair.n_items) == ("ann", "bob", 5)
    assert pair.kappa == pytest.approx((3 / 5 - 11 / 25) / (1 - 11 / 25))
    quality = {q.username: q for q in summary.annotators}
    assert (quality["ann"].n_labels, quality["ann"].gold_n, quality["ann"].gold_accuracy) == (5, 1, 1.0)
    assert quality["bob"].gold_accuracy == 0.0
    assert (quality["ann"].consensus_n, quality["ann"].consensus_accuracy) == (4, 1.0)
    assert quality["bob"].consensus_accuracy == pytest.approx(3 / 4)
    assert "judge" not in quality
    assert summary.queue_depth == {"spam": 0, "recsys": 0}
    assert (summary.awaiting_adjudication, summary.labels_last_hour) == (0, 10)


def test_export_jsonl_and_csv_with_provenance(session: Session, make_user: Callable[..., UserRecord]) -> None:
    labelled_history(session, make_user)
    upsert_consensus_label(
        session, kind=RECSYS, subject={"user_id": 1, "item_id": 2}, label=1, source="corpus"
    )

    lines = list(export_consensus(session, model="spam", fmt="jsonl"))
    records = [json.loads(line) for line in lines]
    assert [r["source"] for r in records] == ["annotation"] * 3 + ["adjudication"]
    assert all(line.endswith("\n") for line in lines)
    adjudicated = records[3]  # decided last, so written last
    assert adjudicated["label"] == 1 and adjudicated["provenance"]["adjudicator"]["user"] == "judge"
    assert adjudicated["subject"]["subject"] == "m2"

    rows = list(csv.DictReader(io.StringIO("".join(export_consensus(session, model=None, fmt="csv")))))
    assert len(rows) == 5 and rows[-1]["model"] == "recsys"
    assert json.loads(rows[3]["provenance"])["item_id"] == 2
    human = list(export_consensus(session, model=None, fmt="jsonl", sources=("adjudication",)))
    assert len(human) == 1
    with pytest.raises(ValueError, match="jsonl"):
        list(export_consensus(session, model="spam", fmt="xml"))  # type: ignore[arg-type]
