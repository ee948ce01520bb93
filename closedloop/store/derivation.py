"""Labels derived from user feedback: each actor casts one vote per subject; consensus decides the label.

- What an event votes is the kind's to say (`ModelKind.vote`): its subject (e.g. the message text, so reports
  on several predictions of the same message count together; a user and an item), and the label. A `strong`
  vote (a rating) outranks the same actor's weak ones (clicks, dismissals) whatever their order.
- Otherwise an actor's latest vote replaces their earlier ones. `trust="unanimous"` labels a subject only when
  all voters agree; `trust="majority"` when more than half the weight agrees. Anything else is disputed: it
  gets no new label (a label it already has stays) and is returned for the labelling queue.
- Votes are weighed by who stands behind them (`closedloop.serving.keys`): an actor named by a trusted key
  (or stored before senders were recorded) is a voter of weight 1; all actors under one untrusted key
  together are one voter of weight `untrusted_weight`, so made-up actors add nothing; feedback sent without
  a key weighs nothing. A label needs a winning weight of at least one trusted voter's (`MIN_WEIGHT`), so
  neither a lone untrusted key nor any number of anonymous reports makes one.
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
MIN_WEIGHT = 1.0  # the winning side of a label weighs at least one trusted voter


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
    too_light: int = 0  # subjects whose votes weigh too little for a label (untrusted or anonymous only)


@dataclass
class _Subject:
    subject: dict[str, Any]
    votes: dict[str, tuple[int, bool]] = field(default_factory=dict)  # voter -> (label, strong)
    weights: dict[str, float] = field(default_factory=dict)  # voter -> weight of their vote
    prediction_ids: list[str] = field(default_factory=list)
    feedback_ids: list[int] = field(default_factory=list)


def derive_feedback_labels(
    session: Session, *, kind: ModelKind, trust: Trust = "unanimous", untrusted_weight: float = 0.5
) -> Derivation:
    """Turn all user feedback on `kind`'s predictions into `user_feedback` consensus labels, in one commit;
    `untrusted_weight` is the weight of one untrusted key's vote (`Settings.untrusted_vote_weight`)."""
    if trust not in ("unanimous", "majority"):
        raise ValueError(f"trust must be 'unanimous' or 'majority', got {trust!r}")
    raced: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            derivation = _derive(session, kind=kind, trust=trust, untrusted_weight=untrusted_weight)
            session.commit()
            return derivation
        except IntegrityError as error:
            session.rollback()  # a concurrent writer labelled one of the subjects: derive again
            raced = error
        except BaseException:
            session.rollback()
            raise
    raise StoreError(f"could not derive {kind.name} labels after {ATTEMPTS} attempts") from raced


def _derive(session: Session, *, kind: ModelKind, trust: str, untrusted_weight: float) -> Derivation:
    subjects = _collect_votes(session, kind=kind, untrusted_weight=untrusted_weight)
    written, unchanged, disputed, too_light = [], 0, [], 0
    derived_at = clock.now().isoformat()
    for key, subject in subjects.items():
        votes = Counter(label for label, _ in subject.votes.values())  # label -> voters
        weights: dict[int, float] = {}
        for voter, (voted, _) in subject.votes.items():
            weights[voted] = weights.get(voted, 0.0) + subject.weights[voter]
        total = sum(weights.values())
        label = max(weights, key=lambda k: weights[k])
        if weights[label] < MIN_WEIGHT:
            too_light += 1
            continue
        sides = [k for k, w in weights.items() if w > 0]
        decided = len(sides) == 1 if trust == "unanimous" else weights[label] * 2 > total
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
            "weights": {str(k): round(w, 4) for k, w in weights.items()},
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
            agreement=weights[label] / total,
            provenance=provenance,
        )
        if was_written:
            written.append(record)
        else:
            unchanged += 1
    return Derivation(
        written=tuple(written), unchanged=unchanged, disputed=tuple(disputed), too_light=too_light
    )


def _voter(event: FeedbackEvent, untrusted_weight: float) -> tuple[str, float] | None:
    """Who casts `event`'s vote and with what weight; None: it weighs nothing (sent without a key)."""
    if event.sender_trust == "anonymous":
        return None
    if event.sender_trust == "untrusted":
        # Every actor under one untrusted key is the same voter: made-up actors cannot outvote anyone.
        return (f"{event.api_key_id}/*", untrusted_weight) if untrusted_weight > 0 else None
    return (event.actor if event.api_key_id is None else f"{event.api_key_id}/{event.actor}", 1.0)


def _collect_votes(session: Session, *, kind: ModelKind, untrusted_weight: float) -> dict[str, _Subject]:
    query = (
        select(FeedbackEvent, Prediction.input)
        .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
        .where(Prediction.model == kind.name)
        .order_by(FeedbackEvent.id)  # oldest first, so a later vote replaces an earlier one
    )
    subjects: dict[str, _Subject] = {}
    for event, given in session.execute(query):
        vote = kind.vote(event.kind, event.value, given)
        voter = _voter(event, untrusted_weight)
        if vote is None or voter is None:
            continue
        who, weight = voter
        entry = subjects.setdefault(vote.key, _Subject(subject=vote.subject))
        if vote.strong or not entry.votes.get(who, (0, False))[1]:
            entry.votes[who] = (vote.label, vote.strong)
            entry.weights[who] = weight
        if event.prediction_id not in entry.prediction_ids:
            entry.prediction_ids.append(event.prediction_id)
        entry.feedback_ids.append(event.id)
    return subjects
