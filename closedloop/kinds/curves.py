"""What a kind hands the learning-curve flow: its holdout metric, the estimators it can train, and the
training pool with the fixed holdout that every size is drawn from and scored on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closedloop.settings import Settings


class CurvePool(ABC):
    """What every point of a kind's learning curve trains from: the pool of training rows that sizes are
    drawn from and the fixed holdout each size is scored on, with one `estimator`. Points train in worker
    processes, so a pool pickles (plain data, no open connections)."""

    estimator: str  # the candidate every point trains

    @property
    @abstractmethod
    def n_max(self) -> int:
        """The whole pool: the largest size."""

    @property
    @abstractmethod
    def n_min(self) -> int:
        """The smallest size that still trains and scores."""

    @abstractmethod
    def score(self, size: int, seed: int) -> float:
        """Holdout score of `estimator` fitted on `size` rows of the pool drawn with `seed`."""


@dataclass(frozen=True)
class Curve:
    """A kind's learning curve: its holdout `metric`, the `estimators` it can train (the first by default),
    and `pool(settings, estimator)`, the training pool and fixed holdout as retraining cuts them."""

    metric: str
    estimators: tuple[str, ...]
    pool: Callable[[Settings, str], CurvePool]
