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
from sqlalchemy.orm import Session

from closedloop.kinds import ModelKind
from closedloop.kinds.contract import LabelingTask
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
    skip_item,
    submit_label,
    top_up,
)

NAMES = ("replay-annotator-1", "replay-annotator-2")
ADJUDICATOR = "replay-adjudicator"
GOLDEN = (5**0.5 - 1) / 2
DEFAULT_CAP = 400  # the setting `labeling_queue_cap`'s default; the demo passes the setting itself


class CorpusTruth:
    """What a careful annotator would answer, looked up in the corpus: the kind's replay's `truth()`
    (subject key -> answer), read through the kind's `truth_label`."""

    def __init__(self, kind: ModelKind, answers: dict[str, int]) -> None:
        self.kind = kind
        self.answers = answers

    def answer(self, item: ItemRecord) -> int | None:
        """The true answer to a queued item, or None when the corpus does not know it (a user who never
        rated that movie): the annotator then skips it rather than guess."""
        return self.kind.truth_label(item.subject, self.answers)

    def slip(self, answer: int) -> int:
        """The answer a careless annotator gives instead of `answer`: the one farthest from it among those
        that settle on the other side (another consensus label)."""
        return other_side(self.kind.config.task, answer)


def other_side(task: LabelingTask, answer: int) -> int:
    """Of `task`'s answers stored as a different label than `answer`, the one farthest from it (ties: the
    first listed): a slip lands on the other side of the decision, not next to the right answer."""
    stored = task.stored(answer)
    others = [a.value for a in task.answers if task.stored(a.value) != stored]
    return max(others, key=lambda value: abs(value - answer))


@dataclass
class AnnotationTally:
    labelled: int = 0  # annotator answers submitted
    agreed: int = 0  # items settled by two equal labels
    adjudicated: int = 0
    skipped: int = 0


@dataclass
class SimulatedAnnotators:
    """Two annotators who usually agree (each slips with probability `slip`) and one adjudicator.

    `describe` (the kind's `describer`) adds what an annotator sees beside a queued item, such as a movie's
    title and the user's history: people answer the same queue in the demo, and need to see them.

    People share the demo's queue with them: the annotators answer items once they have waited
    `delay_seconds`, except a `people_share` of them (chosen by item id), which they leave to people for
    `people_seconds`; the adjudicator waits `people_seconds` after a dispute's second label, so a person can
    decide it first. Past that wait they answer anyway, so the loop never stalls for want of people. The
    queue is topped up to `cap` items, not refilled on every pass.
    """

    truth: CorpusTruth
    policy: QueuePolicy
    describe: Describe | None = None
    slip: float = 0.05
    delay_seconds: float = 0.0
    seed: int = 0
    people_share: float = 0.0
    people_seconds: float = 0.0
    cap: int = DEFAULT_CAP

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def work(self, session: Session, *, budget: int | None = None) -> AnnotationTally:
        """Top up the kind's queue, answer up to `budget` items that waited long enough, settle disputes
        that waited long enough."""
        model = self.truth.kind.name
        top_up(session, model=model, policy=self.policy, cap=self.cap, describe=self.describe)
        annotators, adjudicator = self._accounts(session)
        tally = AnnotationTally()
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.delay_seconds)
        people_cutoff = now - timedelta(seconds=self.people_seconds)
        reserved: set[int] = set()  # items left to people on this pass
        answered = 0
        while budget is None or answered < budget:
            progressed = False
            for user in annotators:
                item = self._next(
                    session, user, model, cutoff=cutoff, people_cutoff=people_cutoff, reserved=reserved
                )
                if item is None:
                    continue
                progressed = True
                self._answer(session, item, user, tally)
            if not progressed:
                break
            answered += 1
        for disputed in items_to_adjudicate(session, model=model):
            label = self.truth.answer(disputed.item)
            disputed_at = max((_aware(cast.at) for cast in disputed.labels), default=now)
            if label is None or disputed_at > people_cutoff:
                continue
            try:
                adjudicate(session, item_id=disputed.item.id, user=adjudicator, label=label)
            except ItemUnavailable:  # a person decided it (or an annotator's label moved) since the listing
                continue
            tally.adjudicated += 1
        return tally

    def left_to_people(self, item_id: int) -> bool:
        """Whether item `item_id` is among the `people_share` the annotators leave to people (an even
        spread over ids: the fractional part of id times the golden ratio)."""
        return (item_id * GOLDEN) % 1.0 < self.people_share

    def _next(
        self,
        session: Session,
        user: UserRecord,
        model: str,
        *,
        cutoff: datetime,
        people_cutoff: datetime,
        reserved: set[int],
    ) -> ItemRecord | None:
        """The next item `user` may answer now: old enough, and not left to people (or left long enough)."""
        while True:
            item = next_item(
                session, user=user, model=model, gold_rate=0.0, created_before=cutoff, exclude=reserved
            )
            if item is None or not self.left_to_people(item.id) or _aware(item.created_at) <= people_cutoff:
                return item
            reserved.add(item.id)

    def _answer(self, session: Session, item: ItemRecord, user: UserRecord, tally: AnnotationTally) -> None:
        label = self.truth.answer(item)
        if label is None:
            skip_item(session, item_id=item.id, user=user)
            tally.skipped += 1
            return
        if self._rng.random() < self.slip:
            label = self.truth.slip(label)
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
