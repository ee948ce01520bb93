"""What a kind's replay works with, as the replay driver (`replay`, an entry point) hands it over: simulated
users to draw decisions from, the policy serving a chunk of the prequential benchmark, the HTTP API of a live
replay, and what one live step did.

The driver's objects satisfy these Protocols structurally, so a kind's replay (`closedloop.kinds.<kind>.
replay`) never imports the driver; the shape the driver expects of a kind's replay is
`replay.contract.KindReplay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from closedloop.store import FeedbackIn, InteractionIn, PredictionRecord, Store


class NothingToReplay(ValueError):
    """The first champion was trained on the whole corpus, so there is no later part to stream."""


def nothing_left(model: str, base_fraction: float) -> NothingToReplay:
    """The error for a stream that is empty because the first champion trains on all of the corpus."""
    return NothingToReplay(
        f"nothing to replay for {model}: the first champion trains on base_fraction={base_fraction} of the "
        "corpus; set CLOSEDLOOP_BASE_FRACTION below 1 (e.g. 0.2) before training the first champion, so that "
        "the later part can be streamed"
    )


class Users(Protocol):
    """Seeded simulated users. Each call is one draw, so a kind that asks in the same order gets the same
    users from the same seed."""

    def responds(self) -> bool:
        """Whether the user answers this prediction (a `feedback_rate` share do)."""

    def errs(self) -> bool:
        """Whether this answer contradicts the truth (a `wrong_share` of answers: careless or hostile)."""

    def pick(self, n: int) -> int:
        """One of `n` (which of the kind's users sends a report), uniformly."""


class ReplayPolicy(Protocol):
    """A policy of the prequential benchmark as a kind's chunk scorer sees it: the champion it serves, and,
    for a logging policy, the store and users behind it."""

    @property
    def champion(self) -> Any:
        """The serving wrapper answering this chunk."""

    @property
    def version(self) -> int:
        """The champion's version within the replay (1: the first champion)."""

    @property
    def logs(self) -> bool:
        """Whether predictions and what users did are logged (False: a frozen policy)."""

    @property
    def users(self) -> Users | None:
        """The users who answer predictions (None for a frozen policy)."""

    @property
    def store(self) -> Store | None:
        """The policy's own feedback store (None for a frozen policy)."""

    def log(self, records: list[PredictionRecord]) -> None:
        """Log predictions as the API would."""

    def record(self, events: list[FeedbackIn], wrong: int) -> None:
        """Record feedback on logged predictions; `wrong` of the events contradict the truth."""

    def interact(self, events: list[InteractionIn], *, reports: int, wrong: int) -> None:
        """Log interactions; `reports` of them answer a prediction, `wrong` of those wrongly."""


class Api(Protocol):
    """The HTTP API of a live replay, seen from its client (waits out 503s; raises when it is gone)."""

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST `body` (JSON) to `path`; the decoded answer, or None when the API refuses it (4xx)."""


@dataclass(frozen=True)
class Step:
    """What one live replay step did: the version that answered (None: the API refused the request), whether
    the answer was right by the corpus, and what the user sent back."""

    version: str | None
    correct: bool = False
    feedback: int = 0
    wrong_feedback: int = 0
    rejected_feedback: int = 0
    interactions: int = 0
