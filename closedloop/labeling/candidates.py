"""Candidates for the queue, read from logged predictions: what the selection policy needs to know.

A candidate is a subject (a message; a user-item pair) that has no human label yet and is not queued. Its
scores come from the newest prediction about it; its feedback votes decide whether it is disputed: user
feedback that contradicts the model (a "not spam" on a message flagged spam, a dismissal of a recommended
item) or that contradicts other users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.labeling.tasks import spam_subject
from closedloop.store import recsys_subject_key, spam_subject_key
from closedloop.store.errors import InvalidFeedback
from closedloop.store.tables import ConsensusLabel, FeedbackEvent, LabelingItem, Prediction
from closedloop.store.validation import feedback_item
from models.labeling import Candidate

HUMAN_SOURCES = ("annotation", "adjudication", "gold")  # a subject holding one of these needs no human
SPAM_VOTES = {"report_spam": 1, "not_spam": 0}
# (user_id, item_id) -> {"title", "history": [{"item_id", "title", "rating"}]}, for the annotator's screen
Describe = Callable[[int, int], dict[str, Any]]


@dataclass
class Pending:
    """A candidate with what the queue stores about it if picked."""

    candidate: Candidate
    subject: dict[str, Any]
    prediction_id: str
    model_label: int | None
    model_score: float | None = None
    votes: dict[str, int] = field(default_factory=dict)  # actor -> label


def collect_candidates(
    session: Session, *, model: str, window: int, describe: Describe | None = None
) -> list[Pending]:
    """Unqueued, unlabelled subjects of the newest `window` predictions of `model`, newest first."""
    predictions = list(
        session.scalars(
            select(Prediction)
            .where(Prediction.model == model)
            .order_by(Prediction.created_at.desc(), Prediction.id)
            .limit(window)
        )
    )
    pending: dict[str, Pending] = {}
    for prediction in predictions:
        for key, entry in _subjects(prediction, describe):
            pending.setdefault(key, entry)  # the newest prediction of a subject speaks for it
    _add_votes(session, model=model, pending=pending, prediction_ids=[p.id for p in predictions])
    for key in _settled(session, model=model, keys=list(pending)):
        pending.pop(key, None)
    for entry in pending.values():
        votes = set(entry.votes.values())
        contradicts = entry.model_label is not None and any(v != entry.model_label for v in votes)
        if len(votes) > 1 or contradicts:
            entry.candidate = Candidate(**{**entry.candidate.__dict__, "disputed": True})
    return list(pending.values())


def _subjects(prediction: Prediction, describe: Describe | None) -> list[tuple[str, Pending]]:
    output, given = prediction.output, prediction.input
    if prediction.model == "spam":
        text = given.get("text") or f"{given.get('subject', '')}\n\n{given.get('body', '')}"
        key = spam_subject_key(text)
        score = output.get("spam_probability", prediction.score)
        shadow = prediction.shadow_output or {}
        candidate = Candidate(
            key=key,
            score=score,
            threshold=output.get("threshold", 0.5),
            challenger_score=shadow.get("spam_probability"),
            challenger_threshold=shadow.get("threshold", 0.5),
        )
        subject = {**spam_subject(given), "text": text}
        label = int(bool(output.get("is_spam", score is not None and score >= candidate.threshold)))
        return [(key, Pending(candidate, subject, prediction.id, label, score))]
    user_id = int(given["user_id"])
    entries = []
    for item_id, score in zip(output.get("items", []), output.get("scores", []), strict=False):
        key = recsys_subject_key(user_id, int(item_id))
        about = describe(user_id, int(item_id)) if describe else {}
        subject = {
            "user_id": user_id,
            "item_id": int(item_id),
            "title": about.get("title"),
            "history": about.get("history", []),
        }
        # a recommendation has no threshold: only disputes and the random share pick these
        candidate = Candidate(key=key, score=None)
        entries.append((key, Pending(candidate, subject, prediction.id, 1, score)))
    return entries


def _add_votes(
    session: Session, *, model: str, pending: dict[str, Pending], prediction_ids: list[str]
) -> None:
    """Each actor's latest vote per subject (spam: report 1, not spam 0; recsys: click or 3+ stars 1)."""
    for start in range(0, len(prediction_ids), 500):  # stay under bind-parameter limits
        chunk = prediction_ids[start : start + 500]
        rows = session.execute(
            select(FeedbackEvent, Prediction.input)
            .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
            .where(FeedbackEvent.prediction_id.in_(chunk))
            .order_by(FeedbackEvent.id)
        )
        for event, given in rows:
            if model == "spam":
                text = given.get("text") or f"{given.get('subject', '')}\n\n{given.get('body', '')}"
                key, vote = spam_subject_key(text), SPAM_VOTES.get(event.kind)
            else:
                try:
                    item = feedback_item(kind=event.kind, value=event.value)
                except InvalidFeedback:
                    continue
                key = recsys_subject_key(int(given["user_id"]), item)
                rating = event.value.get("rating", 0) if isinstance(event.value, dict) else 0
                vote = {"click": 1, "dismiss": 0}.get(event.kind, int(rating >= 3))
            if key in pending and vote is not None:
                pending[key].votes[event.actor] = vote


def _settled(session: Session, *, model: str, keys: list[str]) -> set[str]:
    """Keys already queued, or already labelled by a human (annotation, adjudication, gold)."""
    settled: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
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
