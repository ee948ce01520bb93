"""The store knows no model by name: a kind it never heard of (`tone.py`) logs predictions, gets feedback
checked and turned into labels by its own rules, and reads its labels back in its own columns."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from closedloop.store import (
    InvalidFeedback,
    InvalidLabel,
    PredictionRecord,
    derive_feedback_labels,
    read_training_labels,
    record_feedback,
    upsert_consensus_label,
)
from tests.kernel.store.factories import KINDS, feedback, logged, spam_prediction
from tests.kernel.store.tone import KIND as TONE

WITH_TONE = {**KINDS, TONE.name: TONE}


def review(review_id: int, positive: float) -> PredictionRecord:
    given = {"review_id": review_id, "review": f"review {review_id}"}
    return PredictionRecord(model=TONE.name, model_version="1", input=given, output={"positive": positive})


def test_feedback_of_a_new_kind_follows_its_rules(session: Session) -> None:
    one, again = logged(session, review(1, 0.9), review(1, 0.7))  # two predictions about the same review
    record_feedback(session, kinds=WITH_TONE, event=feedback(one, kind="thumbs_up", actor="alice"))
    record_feedback(session, kinds=WITH_TONE, event=feedback(again, kind="thumbs_up", actor="bob"))
    with pytest.raises(InvalidFeedback, match="does not apply to a review-tone prediction"):
        record_feedback(session, kinds=WITH_TONE, event=feedback(one, kind="report_spam"))
    with pytest.raises(InvalidFeedback, match="takes no value"):
        record_feedback(session, kinds=WITH_TONE, event=feedback(one, kind="thumbs_down", value=3))
    with pytest.raises(InvalidFeedback, match="not registered"):  # a store may hold kinds this process lacks
        record_feedback(session, kinds=KINDS, event=feedback(one, kind="thumbs_up"))

    [label] = derive_feedback_labels(session, kind=TONE).written
    assert (label.model, label.subject_key, label.label) == (TONE.name, "review:1", 1)
    assert label.provenance["actors"] == ["alice", "bob"]
    frame = read_training_labels(session, kind=TONE).frame
    assert list(frame.columns) == ["review_id", "review", "label", "source", "label_id", "created_at"]
    assert frame[["review_id", "review", "label"]].values.tolist() == [[1, "review 1", 1]]
    assert str(frame["review_id"].dtype) == "int64"


def test_labels_of_a_new_kind_are_its_values_and_subjects(session: Session) -> None:
    with pytest.raises(InvalidLabel, match=r"one of \[0, 1\]"):
        upsert_consensus_label(session, kind=TONE, subject={"review_id": 1}, label=2, source="annotation")
    with pytest.raises(InvalidLabel, match="review_id"):
        upsert_consensus_label(session, kind=TONE, subject={"id": 1}, label=1, source="annotation")
    record, written = upsert_consensus_label(
        session, kind=TONE, subject={"review_id": 4, "review": "meh"}, label=0, source="gold"
    )
    assert written and record.subject_key == "review:4"


def test_kinds_do_not_mix(session: Session) -> None:
    [spam] = logged(session, spam_prediction())
    record_feedback(session, kinds=WITH_TONE, event=feedback(spam, kind="report_spam"))
    assert derive_feedback_labels(session, kind=TONE).written == ()
    assert read_training_labels(session, kind=TONE).frame.empty
