"""Candidates for the queue, read from logged predictions: what the selection policy needs to know.

A candidate is a subject (what the kind's `queue_items` makes of a prediction: a message, a user-item pair)
that has no human label yet and is not queued. Its scores come from the newest prediction about it; its
feedback votes (the kind's `vote`, on the model's scale: `queue_vote`) decide whether it is disputed: user
feedback that contradicts the model (a user vouching for a message the model flagged, a dismissal of a
recommended item) or that contradicts other users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.errors import InvalidFeedback
from closedloop.store.tables import ConsensusLabel, FeedbackEvent, LabelingItem, Prediction
from models.labeling import Candidate

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind, QueueItem

# (user or subject id, item id) -> what an annotator sees beside an item (`closedloop.kinds.Describe`)
Describe = Callable[[int, int], dict[str, Any]]
HUMAN_SOURCES = ("annotation", "adjudication", "gold")  # a subject holding one of these needs no human
CHUNK = 500  # keys or ids per IN (...) query: under every backend's bind-parameter limit


@dataclass
class Pending:
    """A candidate with what the queue stores about it if picked."""

    candidate: Candidate
    subject: dict[str, Any]
    prediction_id: str
    model_label: int | None
    model_score: float | None = None
    votes: dict[str, int] = field(default_factory=dict)  # actor -> vote, on the model label's scale


def collect_candidates(
    session: Session, *, kind: ModelKind, window: int, describe: Describe | None = None
) -> list[Pending]:
    """Unqueued, unlabelled subjects of the newest `window` predictions of `kind`, newest first."""
    predictions = list(
        session.scalars(
            select(Prediction)
            .where(Prediction.model == kind.name)
            .order_by(Prediction.created_at.desc(), Prediction.id)
            .limit(window)
        )
    )
    pending: dict[str, Pending] = {}
    for prediction in predictions:
        items = kind.queue_items(prediction.input, prediction.output, prediction.shadow_output, describe)
        for item in items:
            pending.setdefault(item.key, _pending(item, prediction.id))  # the newest prediction speaks
    _add_votes(session, kind=kind, pending=pending, prediction_ids=[p.id for p in predictions])
    for key in _settled(session, model=kind.name, keys=list(pending)):
        pending.pop(key, None)
    for entry in pending.values():
        votes = set(entry.votes.values())
        contradicts = entry.model_label is not None and any(v != entry.model_label for v in votes)
        if len(votes) > 1 or contradicts:
            entry.candidate = Candidate(**{**entry.candidate.__dict__, "disputed": True})
    return list(pending.values())


def _pending(item: QueueItem, prediction_id: str) -> Pending:
    # Without a threshold a score only ranks (a recommendation's): the policy then has no probability to read.
    probability = item.score if item.threshold is not None else None
    candidate = Candidate(
        key=item.key,
        score=probability,
        threshold=item.threshold if item.threshold is not None else 0.5,
        challenger_score=item.challenger_score,
        challenger_threshold=item.challenger_threshold if item.challenger_threshold is not None else 0.5,
    )
    return Pending(candidate, item.subject, prediction_id, item.model_label, item.score)


def _add_votes(
    session: Session, *, kind: ModelKind, pending: dict[str, Pending], prediction_ids: list[str]
) -> None:
    """Each actor's latest vote per subject, as the kind reads its feedback."""
    for start in range(0, len(prediction_ids), CHUNK):
        chunk = prediction_ids[start : start + CHUNK]
        rows = session.execute(
            select(FeedbackEvent, Prediction.input)
            .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
            .where(FeedbackEvent.prediction_id.in_(chunk))
            .order_by(FeedbackEvent.id)
        )
        for event, given in rows:
            try:
                vote = kind.vote(event.kind, event.value, given)
            except InvalidFeedback:
                continue  # stored before its kind's rules changed: it says nothing the queue can use
            if vote is not None and vote.key in pending:
                pending[vote.key].votes[event.actor] = kind.queue_vote(vote)


def _settled(session: Session, *, model: str, keys: list[str]) -> set[str]:
    """Keys already queued, or already labelled by a human (annotation, adjudication, gold)."""
    settled: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        settled.update(
            session.scalars(
                select(LabelingItem.subject_key).where(
                    LabelingItem.model == model, LabelingItem.subject_key.in_(chunk)
                )
            )
        )
        settled.update(
            session.scalars(
                select(ConsensusLabel.subject_key).where(
                    ConsensusLabel.model == model,
                    ConsensusLabel.subject_key.in_(chunk),
                    ConsensusLabel.superseded_by.is_(None),
                    ConsensusLabel.source.in_(HUMAN_SOURCES),
                )
            )
        )
    return settled
