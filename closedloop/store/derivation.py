"""Labels derived from user feedback: each actor casts one vote per subject; consensus decides the label.

- What an event votes is the kind's to say (`ModelKind.vote`): its subject (e.g. the message text, so reports
  on several predictions of the same message count together; a user and an item), and the label. A `strong`
  vote (a rating) outranks the same actor's weak ones (clicks, dismissals) whatever their order.
- Otherwise an actor's latest vote replaces their earlier ones. `trust="unanimous"` labels a subject only when
  all voters agree; `trust="majority"` when more than half agree. Anything else is disputed: it gets no new
  label (a label it already has stays) and is returned for the labelling queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closedloop import clock
from closedloop.store.consensus import ATTEMPTS, put_label
from closedloop.store.errors import StoreError
from closedloop.store.records import LabelRecord
from closedloop.store.tables import FeedbackEvent, Prediction

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

Trust = Literal["unanimous", "majority"]


@dataclass(frozen=True)
class DisputedSubject:
    model: str
    subject_key: str
    subject: dict[str, Any]
    prediction_ids: tuple[str, ...]
    votes: dict[int, int]  # label -> number of actors voting for it


@dataclass(frozen=True)
class Derivation:
    written: tuple[LabelRecord, ...] = ()  # new or changed labels
    unchanged: int = 0  # subjects whose current label already says this (or a stronger source holds them)
    disputed: tuple[DisputedSubject, ...] = ()


@dataclass
class _Subject:
    subject: dict[str, Any]
    votes: dict[str, tuple[int, bool]] = field(default_factory=dict)  # actor -> (label, strong)
    prediction_ids: list[str] = field(default_factory=list)
    feedback_ids: list[int] = field(default_factory=list)


def derive_feedback_labels(session: Session, *, kind: ModelKind, trust: Trust = "unanimous") -> Derivation:
    """Turn all user feedback on `kind`'s predictions into `user_feedback` consensus labels, in one commit."""
    if trust not in ("unanimous", "majority"):
        raise ValueError(f"trust must be 'unanimous' or 'majority', got {trust!r}")
    raced: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            derivation = _derive(session, kind=kind, trust=trust)
            session.commit()
            return derivation
        except IntegrityError as error:
            session.rollback()  # a concurrent writer labelled one of the subjects: derive again
            raced = error
        except BaseException:
            session.rollback()
            raise
    raise StoreError(f"could not derive {kind.name} labels after {ATTEMPTS} attempts") from raced


def _derive(session: Session, *, kind: ModelKind, trust: str) -> Derivation:
    subjects = _collect_votes(session, kind=kind)
    written, unchanged, disputed = [], 0, []
    derived_at = clock.now().isoformat()
    for key, subject in subjects.items():
        votes = Counter(label for label, _ in subject.votes.values())
        label, count = votes.most_common(1)[0]
        decided = len(votes) == 1 if trust == "unanimous" else count * 2 > len(subject.votes)
        if not decided:
            disputed.append(
                DisputedSubject(kind.name, key, subject.subject, tuple(subject.prediction_ids), dict(votes))
            )
            continue
        provenance = {
            "how": "derive_feedback_labels",
            "trust": trust,
            "derived_at": derived_at,
            "votes": {str(k): v for k, v in votes.items()},
            "actors": sorted(subject.votes),
            "feedback_ids": subject.feedback_ids,
        }
        record, was_written = put_label(
            session,
            kind=kind,
            subject=subject.subject,
            label=label,
            source="user_feedback",
            subject_key=key,
            prediction_id=subject.prediction_ids[-1],
            agreement=count / len(subject.votes),
            provenance=provenance,
        )
        if was_written:
            written.append(record)
        else:
            unchanged += 1
    return Derivation(written=tuple(written), unchanged=unchanged, disputed=tuple(disputed))


def _collect_votes(session: Session, *, kind: ModelKind) -> dict[str, _Subject]:
    query = (
        select(FeedbackEvent, Prediction.input)
        .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
        .where(Prediction.model == kind.name)
        .order_by(FeedbackEvent.id)  # oldest first, so a later vote replaces an earlier one
    )
    subjects: dict[str, _Subject] = {}
    for event, given in session.execute(query):
        vote = kind.vote(event.kind, event.value, given)
        if vote is None:
            continue
        entry = subjects.setdefault(vote.key, _Subject(subject=vote.subject))
        if vote.strong or not entry.votes.get(event.actor, (0, False))[1]:
            entry.votes[event.actor] = (vote.label, vote.strong)
        if event.prediction_id not in entry.prediction_ids:
            entry.prediction_ids.append(event.prediction_id)
        entry.feedback_ids.append(event.id)
    return subjects
