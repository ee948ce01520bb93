"""Consensus labels: superseded by appending, never losing authority, derived from agreeing feedback only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from closedloop.store import (
    InvalidLabel,
    derive_feedback_labels,
    record_feedback,
    upsert_consensus_label,
)
from closedloop.store.tables import ConsensusLabel
from tests.kernel.store.factories import (
    KINDS,
    RECSYS,
    SPAM,
    count_rows,
    feedback,
    logged,
    recsys_prediction,
    spam_prediction,
)

MESSAGE = {"text": "Win a prize\n\nnow", "subject": "Win a prize", "body": "now"}
SUBJECT = {"user_id": 1, "item_id": 2}


def test_later_adjudication_supersedes_and_keeps_history(session: Session) -> None:
    first, written = upsert_consensus_label(
        session, kind=SPAM, subject=MESSAGE, label=1, source="annotation", provenance={"who": "ann"}
    )
    assert written and first.subject_key == SPAM.subject_key(MESSAGE)
    same, rewritten = upsert_consensus_label(
        session, kind=SPAM, subject=MESSAGE, label=1, source="annotation"
    )
    assert (same.id, rewritten) == (first.id, False)

    final, written = upsert_consensus_label(
        session, kind=SPAM, subject=MESSAGE, label=0, source="adjudication", agreement=0.5
    )
    assert written and final.id > first.id and final.label == 0
    history = session.scalars(select(ConsensusLabel).order_by(ConsensusLabel.id)).all()
    assert [(row.id, row.superseded_by) for row in history] == [(first.id, final.id), (final.id, None)]


def test_weaker_source_does_not_override(session: Session) -> None:
    gold, _ = upsert_consensus_label(session, kind=SPAM, subject=MESSAGE, label=1, source="gold")
    kept, written = upsert_consensus_label(
        session, kind=SPAM, subject=MESSAGE, label=0, source="user_feedback"
    )
    assert (kept, written) == (gold, False)
    assert count_rows(session, ConsensusLabel) == 1


@pytest.mark.parametrize(
    ("model", "subject", "label", "source"),
    [
        ("spam", MESSAGE, 2, "annotation"),
        ("spam", {"subject": "no text"}, 1, "annotation"),
        ("recsys", {"user_id": 1, "item_id": 2}, 4, "annotation"),
        ("recsys", {"user_id": "1", "item_id": 2}, 3, "annotation"),
        ("recsys", {"user_id": 1, "item_id": 2}, 3, "crowd"),
    ],
)
def test_invalid_labels_are_refused(
    session: Session, model: str, subject: dict, label: int, source: str
) -> None:
    with pytest.raises(InvalidLabel):
        upsert_consensus_label(session, kind=KINDS[model], subject=subject, label=label, source=source)  # type: ignore[arg-type]
    assert count_rows(session, ConsensusLabel) == 0


def test_agreeing_spam_feedback_becomes_a_label(session: Session) -> None:
    # two predictions of the same message: their reports count together
    one, two = logged(session, spam_prediction(subject="Win"), spam_prediction(subject="Win"))
    record_feedback(session, kinds=KINDS, event=feedback(one, kind="report_spam", actor="alice"))
    record_feedback(session, kinds=KINDS, event=feedback(two, kind="report_spam", actor="bob"))

    derivation = derive_feedback_labels(session, kind=SPAM, trust="unanimous")
    [label] = derivation.written
    assert (label.label, label.source, label.agreement) == (1, "user_feedback", 1.0)
    assert label.subject["text"] == one.input["text"] and label.prediction_id == two.id
    assert label.provenance["actors"] == ["alice", "bob"]
    assert derivation.disputed == ()

    again = derive_feedback_labels(session, kind=SPAM)
    assert (again.written, again.unchanged) == ((), 1)  # nothing new: no new label version


def test_conflicting_feedback_is_disputed_not_labelled(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="report_spam", actor="alice"))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="not_spam", actor="bob"))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="not_spam", actor="carol"))

    derivation = derive_feedback_labels(session, kind=SPAM, trust="unanimous")
    assert derivation.written == ()
    [disputed] = derivation.disputed
    assert disputed.votes == {1: 1, 0: 2} and disputed.prediction_ids == (prediction.id,)
    assert count_rows(session, ConsensusLabel) == 0

    [label] = derive_feedback_labels(session, kind=SPAM, trust="majority").written
    assert label.label == 0 and label.agreement == pytest.approx(2 / 3)


def test_an_actor_changing_their_mind_counts_once(session: Session) -> None:
    [prediction] = logged(session, spam_prediction())
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="report_spam", actor="alice"))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="not_spam", actor="alice"))
    [label] = derive_feedback_labels(session, kind=SPAM).written
    assert (label.label, label.provenance["votes"]) == (0, {"0": 1})


def test_recsys_feedback_becomes_relevance(session: Session) -> None:
    [prediction] = logged(session, recsys_prediction(user_id=7, items=(10, 20, 30)))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="click", value=10))
    record_feedback(
        session, kinds=KINDS, event=feedback(prediction, kind="rating", value={"item_id": 10, "rating": 5})
    )
    record_feedback(
        session, kinds=KINDS, event=feedback(prediction, kind="click", value=10)
    )  # a rating outranks clicks
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="dismiss", value=20))
    record_feedback(session, kinds=KINDS, event=feedback(prediction, kind="click", value=30))

    labels = {row.subject_key: row.label for row in derive_feedback_labels(session, kind=RECSYS).written}
    assert labels == {
        RECSYS.subject_key({"user_id": 7, "item_id": 10}): 3,
        RECSYS.subject_key({"user_id": 7, "item_id": 20}): 0,
        RECSYS.subject_key({"user_id": 7, "item_id": 30}): 1,
    }
    assert derive_feedback_labels(session, kind=SPAM).written == ()  # models do not mix


def test_unknown_trust_policy_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="trust"):
        derive_feedback_labels(session, kind=SPAM, trust="everyone")  # type: ignore[arg-type]


def test_concurrent_supersedes_leave_one_current_label(
    session: Session, sessions: sessionmaker[Session]
) -> None:
    start = threading.Barrier(6)

    def adjudicate(label: int) -> bool:
        with sessions() as own:
            start.wait()
            return upsert_consensus_label(
                own, kind=RECSYS, subject=SUBJECT, label=label, source="adjudication"
            )[1]

    upsert_consensus_label(session, kind=RECSYS, subject=SUBJECT, label=0, source="annotation")
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(adjudicate, [1, 2, 3, 1, 2, 3]))
    rows = session.scalars(select(ConsensusLabel).order_by(ConsensusLabel.id)).all()
    assert [row.superseded_by for row in rows[:-1]] == [row.id for row in rows[1:]]  # one unbroken chain
    assert rows[-1].superseded_by is None and rows[-1].source == "adjudication"
