"""The recommender's learning curve: NDCG@10 on the test part of the fixed rating split against the number
of training interactions drawn from its training part (at least one per user, so every test user can be
ranked for)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop.kinds.curves import Curve, CurvePool
from closedloop.kinds.recsys.corpus import load_movielens
from models.recsys.metrics import K
from models.recsys.splits import RatingSplit, split_ratings

# The smallest size is a share of the interactions, and never below one per user.
MIN_SHARE = 1 / 32
ESTIMATORS = ("knn", "popularity", "torch", "ensemble")  # knn (EASE) first: seconds per point, not minutes


@dataclass(frozen=True)
class InteractionPool(CurvePool):
    """The fixed split of the ratings (train: the pool; valid selects; test scores) and the catalogue."""

    split: RatingSplit
    catalogue: np.ndarray  # (items,) every item id the corpus knows
    estimator: str = "knn"

    @property
    def n_max(self) -> int:
        return len(self.split.train)

    @property
    def n_min(self) -> int:
        n_users = int(self.split.train["user_id"].nunique())
        return max(n_users, round(self.n_max * MIN_SHARE))

    def score(self, size: int, seed: int) -> float:
        from models.curves import recsys_point  # torch: only when a point is measured

        return recsys_point(self.split, catalogue=self.catalogue, size=size, seed=seed, model=self.estimator)


def interaction_pool(settings: Any, estimator: str) -> InteractionPool:
    """MovieLens split as retraining splits it (same seed), with the whole catalogue to rank from."""
    movielens = load_movielens(settings)
    split = split_ratings(movielens.ratings, seed=settings.seed)
    catalogue = np.union1d(movielens.items["item_id"].to_numpy(), movielens.ratings["item_id"].to_numpy())
    return InteractionPool(split=split, catalogue=catalogue, estimator=estimator)


class RecsysCurve:
    """Learning-curve hook: EASE (`knn`) by default."""

    def curve(self) -> Curve:
        return Curve(metric=f"ndcg@{K}", estimators=ESTIMATORS, pool=interaction_pool)
