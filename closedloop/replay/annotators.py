"""The annotators' stand-in: two simulated annotators answer the labeling queue from the corpus's own labels,
an adjudicator settles what they disagree on. The demo runs it after a delay; the benchmark runs it after
each chunk of traffic. Both go through the real labeling kernel (queue, blind double annotation,
adjudication), so the consensus labels they leave are the ones a human team would leave.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from closedloop.kinds import kind
from closedloop.labeling import (
    Describe,
    ItemRecord,
    ItemUnavailable,
    QueuePolicy,
    Role,
    UserExists,
    UserRecord,
    adjudicate,
    create_user,
    items_to_adjudicate,
    list_users,
    next_item,
    refill_queue,
    skip_item,
    submit_label,
)
from models.redaction import redact_pii
from models.spam.corpus import message_text

NAMES = ("replay-annotator-1", "replay-annotator-2")
ADJUDICATOR = "replay-adjudicator"
# Relevance grade (1-4) an annotator gives a movie the user rated with n stars; 3+ stars count as relevant
# in training (closedloop.store.derivation), grades 3-4 in the labeling kernel.
GRADE_BY_STARS = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}


class CorpusTruth:
    """What a careful annotator would answer, looked up in the corpus: subject key -> label."""

    def __init__(self, answers: dict[str, int]) -> None:
        self.answers = answers

    @classmethod
    def spam(cls, messages: pd.DataFrame) -> CorpusTruth:
        """Messages (subject, body, label) keyed as the API logs them: the redacted model text."""
        texts = (
            redact_pii(message_text(s, b)) for s, b in zip(messages["subject"], messages["body"], strict=True)
        )
        spam = kind("spam")
        return cls(
            {spam.subject_key({"text": t}): int(y) for t, y in zip(texts, messages["label"], strict=True)}
        )

    @classmethod
    def recsys(cls, ratings: pd.DataFrame) -> CorpusTruth:
        """Ratings (user_id, item_id, rating) as relevance grades 1-4."""
        recsys = kind("recsys")
        return cls(
            {
                recsys.subject_key({"user_id": int(u), "item_id": int(i)}): GRADE_BY_STARS[int(r)]
                for u, i, r in zip(ratings["user_id"], ratings["item_id"], ratings["rating"], strict=True)
            }
        )

    def answer(self, item: ItemRecord) -> int | None:
        """The true label of a queued item, or None when the corpus does not know it (the user never rated
        that movie): the annotator then skips it rather than guess."""
        return kind(item.model).truth_label(item.subject, self.answers)


@dataclass
class AnnotationTally:
    labelled: int = 0  # annotator answers submitted
    agreed: int = 0  # items settled by two equal labels
    adjudicated: int = 0
    skipped: int = 0


@dataclass
class SimulatedAnnotators:
    """Two annotators who usually agree (each slips with probability `slip`) and one adjudicator.

    `describe` adds a movie's title and the user's history to queued recommendation items (see
    `closedloop.labeling.item_describer`): people answer the same queue in the demo, and need to see them.
    """

    truth: CorpusTruth
    policy: QueuePolicy
    describe: Describe | None = None
    slip: float = 0.05
    delay_seconds: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def work(self, session: Session, *, model: str, budget: int | None = None) -> AnnotationTally:
        """Refill `model`'s queue, answer up to `budget` items older than `delay_seconds`, settle disputes."""
        refill_queue(session, model=model, policy=self.policy, describe=self.describe)
        annotators, adjudicator = self._accounts(session)
        tally = AnnotationTally()
        cutoff = datetime.now(UTC) - timedelta(seconds=self.delay_seconds)
        answered = 0
        while budget is None or answered < budget:
            progressed = False
            for user in annotators:
                item = next_item(session, user=user, model=model, gold_rate=0.0)
                if item is None or _aware(item.created_at) > cutoff:
                    continue
                progressed = True
                self._answer(session, item, user, tally)
            if not progressed:
                break
            answered += 1
        for disputed in items_to_adjudicate(session, model=model):
            label = self.truth.answer(disputed.item)
            if label is None:
                continue
            try:
                adjudicate(session, item_id=disputed.item.id, user=adjudicator, label=label)
            except ItemUnavailable:  # a person decided it (or an annotator's label moved) since the listing
                continue
            tally.adjudicated += 1
        return tally

    def _answer(self, session: Session, item: ItemRecord, user: UserRecord, tally: AnnotationTally) -> None:
        label = self.truth.answer(item)
        if label is None:
            skip_item(session, item_id=item.id, user=user)
            tally.skipped += 1
            return
        if self._rng.random() < self.slip:
            label = _other(item, label)
        try:
            outcome = submit_label(session, item_id=item.id, user=user, label=label)
        except ItemUnavailable:
            return  # someone else (a human in the demo) took the last slot first
        tally.labelled += 1
        tally.agreed += int(outcome.status == "agreed")

    def _accounts(self, session: Session) -> tuple[list[UserRecord], UserRecord]:
        wanted: list[tuple[str, Role]] = [(name, "annotator") for name in NAMES]
        wanted.append((ADJUDICATOR, "adjudicator"))
        users = _by_name(list_users(session))
        for name, role in wanted:
            if name not in users:
                # A random password nobody knows: these accounts only ever act through this code.
                with contextlib.suppress(UserExists):
                    create_user(session, username=name, password=secrets.token_urlsafe(16), role=role)
        users = _by_name(list_users(session))
        return [users[name] for name in NAMES], users[ADJUDICATOR]


def _by_name(users: Iterable[UserRecord]) -> dict[str, UserRecord]:
    return {user.username: user for user in users}


def _other(item: ItemRecord, label: int) -> int:
    if item.task == "spam":
        return 1 - label
    return 1 if label >= 3 else 4  # a slip on relevance lands on the other side of "relevant"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
