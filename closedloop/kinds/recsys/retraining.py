"""The recommender's retraining: MovieLens, snapshots with the interaction log, candidates, the gate's
per-user comparison and MLflow packaging."""

from __future__ import annotations

from typing import Any

import pandas as pd

from closedloop.gate import GateDecision
from closedloop.kinds.recsys.packaging import RecommenderModel
from closedloop.kinds.recsys.snapshot import build_recsys_snapshot
from closedloop.kinds.recsys.training import judge_recsys, train_recsys_candidate
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.policy import gate_policy


class RecsysRetraining:
    """Snapshot, training, judging and packaging hooks of the recommender."""

    def snapshot(
        self, settings: Any, store: Any, *, trained_on: Any, window_share: float | None = None
    ) -> Any:
        return build_recsys_snapshot(settings, store, champion_interactions_upto_id=trained_on.interactions)

    def train(self, snapshot: Any, name: str, settings: Any) -> Candidate:
        return train_recsys_candidate(snapshot, name, seed=settings.seed)

    def judge(
        self,
        candidate: Candidate,
        champion: Any | None,
        snapshot: Any,
        settings: Any,
        *,
        shadow: pd.DataFrame | None = None,
    ) -> GateDecision:
        floors = self.floors(settings)  # type: ignore[attr-defined]
        return judge_recsys(candidate, champion, snapshot, gate_policy(settings), floors=floors)

    def wrap(self, candidate: Candidate, snapshot: Any) -> RecommenderModel:
        catalogue = snapshot.catalogue
        titles = dict(zip(catalogue["item_id"].astype(int), catalogue["title"], strict=True))
        return RecommenderModel(candidate.estimator, titles)

    def input_example(self) -> pd.DataFrame:
        return pd.DataFrame({"user_id": [1], "k": [10]})
