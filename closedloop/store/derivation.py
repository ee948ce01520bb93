"""Labels derived from user feedback: each actor casts one vote per subject; consensus decides the label.

- spam: `report_spam` votes 1, `not_spam` votes 0; the subject is the message text, so reports on several
  predictions of the same message count together.
- recsys: the subject is (user, item); a rating votes its relevance (5 -> 3, 4 -> 2, 3 -> 1, 1-2 -> 0) and
  outranks clicks (1) and dismissals (0); otherwise the actor's latest click or dismissal is their vote.
- An actor's latest vote replaces their earlier ones. `trust="unanimous"` labels a subject only when all
  voters agree; `trust="majority"` when more than half agree. Anything else is disputed: it gets no new label
  (a label it already has stays) and is returned for the labelling queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closedloop import clock
from closedloop.store.consensus import ATTEMPTS, put_label
from closedloop.store.errors import StoreError
from closedloop.store.records import LabelRecord, ModelName
from closedloop.store.subjects import recsys_subject_key, spam_subject_key
from closedloop.store.tables import FeedbackEvent, Prediction
from closedloop.store.validation import feedback_item

Trust = Literal["unanimous", "majority"]
SPAM_VOTES = {"report_spam": 1, "not_spam": 0}
RATING_RELEVANCE = {5: 3, 4: 2, 3: 1, 2: 0, 1: 0}


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
    votes: dict[str, tuple[int, bool]] = field(default_factory=dict)  # actor -> (label, from a rating)
    prediction_ids: list[str] = field(default_factory=list)
    feedback_ids: list[int] = field(default_factory=list)


def derive_feedback_labels(session: Session, *, model: ModelName, trust: Trust = "unanimous") -> Derivation:
    """Turn all user feedback on `model` predictions into `user_feedback` consensus labels, in one commit."""
    if trust not in ("unanimous", "majority"):
        raise ValueError(f"trust must be 'unanimous' or 'majority', got {trust!r}")
    raced: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            derivation = _derive(session, model=model, trust=trust)
            session.commit()
            return derivation
        except IntegrityError as error:
            session.rollback()  # a concurrent writer labelled one of the subjects: derive again
            raced = error
        except BaseException:
            session.rollback()
            raise
    raise StoreError(f"could not derive {model} labels after {ATTEMPTS} attempts") from raced


def _derive(session: Session, *, model: str, trust: str) -> Derivation:
    subjects = _collect_votes(session, model=model)
    written, unchanged, disputed = [], 0, []
    derived_at = clock.now().isoformat()
    for key, subject in subjects.items():
        votes = Counter(label for label, _ in subject.votes.values())
        label, count = votes.most_common(1)[0]
        decided = len(votes) == 1 if trust == "unanimous" else count * 2 > len(subject.votes)
        if not decided:
            disputed.append(
                DisputedSubject(model, key, subject.subject, tuple(subject.prediction_ids), dict(votes))
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
            model=model,
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


def _collect_votes(session: Session, *, model: str) -> dict[str, _Subject]:
    query = (
        select(FeedbackEvent, Prediction.input)
        .join(Prediction, Prediction.id == FeedbackEvent.prediction_id)
        .where(Prediction.model == model)
        .order_by(FeedbackEvent.id)  # oldest first, so a later vote replaces an earlier one
    )
    subjects: dict[str, _Subject] = {}
    for event, given in session.execute(query):
        if model == "spam":
            text = given.get("text") or f"{given.get('subject', '')}\n\n{given.get('body', '')}"
            key, label, rated = spam_subject_key(text), SPAM_VOTES[event.kind], False
            about = {"text": text, "subject": given.get("subject"), "body": given.get("body")}
        else:
            item = feedback_item(kind=event.kind, value=event.value)
            key, about = (
                recsys_subject_key(given["user_id"], item),
                {"user_id": given["user_id"], "item_id": item},
            )
            label, rated = _relevance(event.kind, event.value), event.kind == "rating"
        entry = subjects.setdefault(key, _Subject(subject=about))
        if rated or not entry.votes.get(event.actor, (0, False))[1]:
            entry.votes[event.actor] = (label, rated)
        if event.prediction_id not in entry.prediction_ids:
            entry.prediction_ids.append(event.prediction_id)
        entry.feedback_ids.append(event.id)
    return subjects


def _relevance(kind: str, value: Any) -> int:
    if kind == "rating":
        return RATING_RELEVANCE[value["rating"]]
    return 1 if kind == "click" else 0
