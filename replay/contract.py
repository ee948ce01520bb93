"""The shape the replay driver expects of a kind's replay (`ModelKind.replay(settings)`), and how the driver
finds it. A kind's replay satisfies `KindReplay` structurally: kinds are kernel code and never import the
driver; what the driver hands them is typed in `closedloop.kinds.simulation`.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from closedloop.kinds import ModelKind, kinds
from closedloop.kinds.simulation import Api, ReplayPolicy, Step, Users
from closedloop.settings import Settings


@runtime_checkable
class KindReplay(Protocol):
    """A kind's replay, bound to the settings it was made with (their `base_fraction` sets where the first
    champion's training ends and the stream begins)."""

    @property
    def metric(self) -> str:
        """The headline metric of a chunk's scores (progress lines, the report's ratios)."""

    @property
    def metrics(self) -> tuple[str, ...]:
        """The chunk scores a report shows, headline first."""

    @property
    def candidate(self) -> str:
        """The candidate the prequential benchmark trains and retrains (one that fits in seconds)."""

    @property
    def policies(self) -> tuple[str, ...]:
        """The benchmark's policies (`replay.prequential.POLICIES`) that make sense for this kind."""

    def stream(self) -> Sequence[Any]:
        """The later part of the corpus in time order, one item per prediction request; raises
        `NothingToReplay` when the first champion trains on all of it."""

    def chunks(self, n: int) -> Sequence[Sized]:
        """The stream cut into `n` time-ordered chunks (what `score` takes)."""

    def began(self) -> datetime:
        """Just before the stream's first event: when the first champion trains."""

    def chunk_end(self, chunk: Any) -> datetime:
        """The time of a chunk's last event: what a policy knows of by the end of it."""

    def truth(self) -> dict[str, int]:
        """What simulated annotators answer: subject key -> answer (read through `ModelKind.truth_label`)."""

    def setup(self) -> dict[str, Any]:
        """Settings of this kind that a benchmark result reports beside the shared ones."""

    def step(self, item: Any, api: Api, users: Users) -> Step:
        """One live request for a stream item through the HTTP API, and what its user sends back."""

    def score(self, chunk: Any, policy: ReplayPolicy) -> dict[str, Any]:
        """A chunk scored by the policy's champion before it may learn from it ("test, then train"); a
        logging policy then logs what the chunk's users did, stamped with the stream's own time."""

    def summarize(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Whole-stream figures from every chunk's scores."""

    def targets(self, overall: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """What the loop is worth, from each policy's whole-stream figures."""


class NoReplay(ValueError):
    """The model named is not a registered kind, or has nothing to replay; the message lists the ones
    that do."""


def replays(settings: Settings) -> dict[str, tuple[ModelKind, KindReplay]]:
    """{name: (kind, its replay)} for every registered kind that has one, in the kinds' order."""
    found = {}
    for candidate in kinds():
        plan = candidate.replay(settings)
        if plan is not None:
            found[candidate.name] = (candidate, plan)
    return found


def kind_replay(model: str, settings: Settings) -> tuple[ModelKind, KindReplay]:
    """The kind called `model` and its replay over the corpus of `settings`."""
    available = replays(settings)
    for candidate, plan in available.values():
        if model in (candidate.name, candidate.config.registered_name):
            return candidate, plan
    names = list(available)
    choices = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names) or "none"
    raise NoReplay(f"unknown model {model!r}; choose {choices}")
