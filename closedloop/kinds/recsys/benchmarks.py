"""The recommender in the benchmark suites (`python -m bench`): its training protocol, the interaction log
the serving suite fills before it asks for recommendations (each request folds its user's share in), and
example history for the dashboard. The suites read it through `bench.contract.KindBenchmarks`; this module
never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop.kinds.recsys import examples
from closedloop.kinds.recsys.config import NAME
from closedloop.settings import Settings
from closedloop.store import InteractionIn, InteractionKind

# The kind mix of a real log: mostly ratings, their stars in MovieLens 100K's shares of 1..5.
KIND_SHARES: dict[InteractionKind, float] = {"rating": 0.75, "view": 0.12, "click": 0.08, "dismiss": 0.05}
STAR_SHARES = [0.061, 0.114, 0.271, 0.342, 0.212]


@dataclass(frozen=True)
class HistoryLoad:
    """Interactions to log before serving, and requests (one per known user, in a random order) whose
    answers read them."""

    path: str
    requests: tuple[dict[str, Any], ...]
    events: list[InteractionIn]


class RecsysBenchmarks:
    """The recommender's parts in the benchmark suites."""

    suites = frozenset({"train", "retrain", "serving", "dashboard"})
    training_caption = "Recommender (MovieLens 100K, per-user random 8:1:1, full ranking over unseen items)"
    training_runs = (
        ("--model", "popularity"),
        ("--model", "knn"),
        ("--model", "torch"),
        ("--model", "ensemble"),
    )
    training_columns = (
        ("model", "model"), ("NDCG@10", "ndcg@10"), ("Recall@10", "recall@10"), ("Hit@10", "hit@10"),
        ("n_train", "n_train"), ("n_test", "n_test"), ("seconds", "seconds"),
    )  # fmt: skip
    traffic_share = 0.3  # of the dashboard benchmark's predictions
    example_curve = (
        "ndcg@10",
        (1.5, 0.4, 0.65),
    )  # the learning-curve report's metric and power law (a, b, c)
    example_prediction = staticmethod(examples.example_prediction)
    example_feedback = staticmethod(examples.example_feedback)
    example_alias_moves = staticmethod(examples.example_alias_moves)
    example_gate_decisions = staticmethod(examples.example_gate_decisions)

    def prediction_load(self, settings: Settings) -> None:
        """None: the serving suite measures recommendations with a busy log (`history_load`) instead."""
        return None

    def history_load(self, champion: Callable[[], Any], total: int) -> HistoryLoad:
        """`total` interactions of the champion's users (`champion()` loads it), and a request per user.

        A user logs as often as they rated in training, an item is picked as often as it was rated: the
        heaviest users' histories, which set the p99 of the fold-in, are as long as in a real log.
        """
        estimator = champion().estimator
        activity = np.diff(estimator.interactions_.indptr) + 1.0  # (users,) training interactions, +1
        popularity = estimator.popularity_ + 1.0  # (items,)
        rng = np.random.default_rng(0)
        users = rng.choice(estimator.users_.ids, size=total, p=activity / activity.sum())
        items = rng.choice(estimator.items_.ids, size=total, p=popularity / popularity.sum())
        kinds = rng.choice(len(KIND_SHARES), size=total, p=list(KIND_SHARES.values()))
        stars = rng.choice(np.arange(1.0, 6.0), size=total, p=STAR_SHARES)
        names = list(KIND_SHARES)

        def event(n: int) -> InteractionIn:
            kind = names[kinds[n]]
            value = float(stars[n]) if kind == "rating" else None
            return InteractionIn(
                event_id=f"bench-{n}", model=NAME, user_id=int(users[n]), item_id=int(items[n]), kind=kind,
                value=value,
            )  # fmt: skip

        order = np.random.default_rng(1).permutation([int(user) for user in estimator.users_.ids])
        return HistoryLoad(
            path="/v1/recommendations",
            requests=tuple({"user_id": int(user), "k": 10} for user in order),
            events=[event(n) for n in range(total)],
        )

    def labeling_pool(self, settings: Settings) -> None:
        """None: the active-learning simulation has no recommender protocol."""
        return None

    def scoring_cost(self, settings: Settings) -> None:
        """None: the scoring suite compares ways of scoring a text classifier."""
        return None


class RecsysBenchmarking:
    """The benchmark hook of the recommender."""

    def benchmarks(self) -> RecsysBenchmarks:
        return RecsysBenchmarks()
