"""Simulated users: whether they answer a prediction, and whether the answer is wrong.

A user answers a `feedback_rate` share of predictions; a `wrong_share` of those answers contradicts the truth
(the corpus's own label) — careless clicks, or someone trying to poison the model. What an answer says is
the kind's to decide (its replay draws from these users: `closedloop.kinds.simulation.Users`). The same seed
gives the same users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SimulatedUsers:
    """Seeded draws: one per question, in the order the kind's replay asks them."""

    feedback_rate: float
    wrong_share: float
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("feedback_rate", "wrong_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        self._rng = np.random.default_rng(self.seed)

    def responds(self) -> bool:
        """Whether the user answers this prediction."""
        return bool(self._rng.random() < self.feedback_rate)

    def errs(self) -> bool:
        """Whether this answer contradicts the truth."""
        return bool(self._rng.random() < self.wrong_share)

    def pick(self, n: int) -> int:
        """One of `n`, uniformly (which user sends a report)."""
        return int(self._rng.integers(n))
