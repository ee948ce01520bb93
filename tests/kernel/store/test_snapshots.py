"""The snapshot contract: rows and watermark as of `upto_id`, the same rows every time it is read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from closedloop.store import read_training_labels, upsert_consensus_label
from tests.kernel.store.factories import RECSYS, SPAM

# The frames' columns: the kind's subject columns (`label_columns`), then the label's own.
SPAM_COLUMNS = ["subject_key", "subject", "body", "text", "label", "source", "label_id", "created_at"]
RECSYS_COLUMNS = ["user_id", "item_id", "label", "source", "label_id", "created_at"]


def _message(n: int) -> dict[str, str]:
    return {"text": f"message {n}", "subject": f"subject {n}", "body": "body"}


def test_empty_store_gives_an_empty_snapshot(session: Session) -> None:
    snapshot = read_training_labels(session, kind=SPAM)
    assert snapshot.frame.empty and list(snapshot.frame.columns) == SPAM_COLUMNS
    assert snapshot.watermark == {"last_label_id": None, "last_label_at": None, "count": 0}


def test_snapshot_respects_upto_id_and_is_reproducible(session: Session) -> None:
    first, _ = upsert_consensus_label(session, kind=SPAM, subject=_message(1), label=1, source="annotation")
    second, _ = upsert_consensus_label(session, kind=SPAM, subject=_message(2), label=0, source="annotation")
    upsert_consensus_label(session, kind=RECSYS, subject={"user_id": 1, "item_id": 2}, label=3, source="gold")

    snapshot = read_training_labels(session, kind=SPAM)
    assert snapshot.watermark["count"] == 2 and snapshot.watermark["last_label_id"] == second.id
    assert datetime.fromisoformat(snapshot.watermark["last_label_at"] or "") == second.created_at
    assert list(snapshot.frame.columns) == SPAM_COLUMNS
    assert snapshot.frame["text"].tolist() == ["message 1", "message 2"]

    # later: message 1 is adjudicated as ham and a third message is labelled
    upsert_consensus_label(session, kind=SPAM, subject=_message(1), label=0, source="adjudication")
    upsert_consensus_label(session, kind=SPAM, subject=_message(3), label=1, source="annotation")

    replay = read_training_labels(session, kind=SPAM, upto_id=snapshot.watermark["last_label_id"])
    assert replay.watermark == snapshot.watermark
    assert replay.frame.equals(snapshot.frame)

    early = read_training_labels(session, kind=SPAM, upto_id=first.id)
    assert early.frame["label_id"].tolist() == [first.id] and early.watermark["count"] == 1

    now = read_training_labels(session, kind=SPAM).frame.set_index("text")["label"].to_dict()
    assert now == {"message 1": 0, "message 2": 0, "message 3": 1}


def test_recsys_snapshot_columns_and_types(session: Session) -> None:
    upsert_consensus_label(
        session, kind=RECSYS, subject={"user_id": 3, "item_id": 9}, label=2, source="annotation"
    )
    frame = read_training_labels(session, kind=RECSYS).frame
    assert list(frame.columns) == RECSYS_COLUMNS
    assert frame.iloc[0][["user_id", "item_id", "label"]].tolist() == [3, 9, 2]
    assert str(frame["user_id"].dtype) == "int64"
