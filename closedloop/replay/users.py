"""Simulated users: which predictions they give feedback on, and what they say.

A user answers a `feedback_rate` share of predictions; a `wrong_share` of those answers contradicts the truth
(the corpus label for spam, the user's own rating for movies) — careless clicks, or someone trying to
poison the filter. The same seed gives the same users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop.kinds.recsys.reactions import POSITIVE_STARS
from closedloop.store.derivation import SPAM_VOTES


@dataclass(frozen=True)
class Report:
    """One feedback event as the API takes it (without ids), and whether it contradicts the truth."""

    kind: str
    value: Any
    wrong: bool


@dataclass
class SimulatedUsers:
    """Decides feedback; `n_users` spam users share the mail traffic (each report names one as its actor)."""

    feedback_rate: float
    wrong_share: float
    seed: int = 0
    n_users: int = 50

    def __post_init__(self) -> None:
        for name in ("feedback_rate", "wrong_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        self._rng = np.random.default_rng(self.seed)

    def on_spam(self, *, label: int) -> Report | None:
        """Feedback on one spam prediction of a message whose true label is `label` (None: no feedback)."""
        if self._rng.random() >= self.feedback_rate:
            return None
        wrong = bool(self._rng.random() < self.wrong_share)
        said = 1 - label if wrong else label
        kind = next(k for k, v in SPAM_VOTES.items() if v == said)
        return Report(kind=kind, value=None, wrong=wrong)

    def spam_actor(self) -> str:
        return f"replay:user-{int(self._rng.integers(self.n_users))}"

    def on_recommendations(self, *, items: list[int], rated: dict[int, int]) -> list[Report]:
        """Ratings of recommended `items` that the user rates in this very visit (`rated`: item -> stars),
        reported as a reaction to the recommendation. Only the visit's own ratings: a movie the corpus has
        the user rate months later cannot be rated now without being rated twice."""
        reports = []
        for item in items:
            stars = rated.get(item)
            if stars is None or self._rng.random() >= self.feedback_rate:
                continue
            wrong = bool(self._rng.random() < self.wrong_share)
            if wrong:  # the opposite: a liked movie (3-5 stars) rated 1, a disliked one (1-2) rated 5
                stars = 1 if stars >= POSITIVE_STARS else 5
            reports.append(
                Report(kind="rating", value={"item_id": int(item), "rating": int(stars)}, wrong=wrong)
            )
        return reports
