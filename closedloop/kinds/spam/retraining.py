"""The spam filter's retraining: its corpus, snapshots, candidates, gate comparison and MLflow packaging."""

from __future__ import annotations

from typing import Any

import pandas as pd

from closedloop.gate import GateDecision
from closedloop.kinds.spam.packaging import SpamFilterModel
from closedloop.kinds.spam.snapshot import build_spam_snapshot
from closedloop.kinds.spam.training import judge_spam, labelled_shadow, train_spam_candidate
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.policy import gate_policy


class SpamRetraining:
    """Snapshot, training, judging and packaging hooks of the spam filter."""

    def snapshot(
        self, settings: Any, store: Any, *, trained_on: Any, window_share: float | None = None
    ) -> Any:
        return build_spam_snapshot(
            settings, store, champion_upto_id=trained_on.labels, window_share=window_share
        )

    def train(self, snapshot: Any, name: str, settings: Any) -> Candidate:
        return train_spam_candidate(snapshot, name, seed=settings.seed, target_fpr=settings.target_fpr)

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
        return judge_spam(candidate, champion, snapshot, gate_policy(settings), floors=floors, shadow=shadow)

    def labelled_shadow(self, store: Any, *, champion_version: str, challenger_version: str) -> pd.DataFrame:
        return labelled_shadow(
            store, champion_version=champion_version, challenger_version=challenger_version
        )

    def wrap(self, candidate: Candidate, snapshot: Any) -> SpamFilterModel:
        return SpamFilterModel(candidate.estimator, candidate.threshold or 0.5)

    def input_example(self) -> pd.DataFrame:
        return pd.DataFrame({"text": ["Re: patch for the parser\n\nLooks good to me, merging."]})
