"""The gate applied to real models: score the challenger and the champion on the same holdout and recent
slice, decide, and record the evidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from closedloop.candidates import Candidate, ranking_report, spam_decisions
from closedloop.datasets.recsys import RecsysSnapshot
from closedloop.datasets.spam import SpamSnapshot
from closedloop.gate import GateDecision, GatePolicy, SpamPredictions, decide_recsys, decide_spam
from closedloop.packaging import RecommenderModel, SpamFilterModel
from closedloop.settings import Settings


def gate_policy(settings: Settings) -> GatePolicy:
    return GatePolicy(
        alpha=settings.gate_alpha,
        min_improvement=settings.gate_min_improvement,
        fpr_tolerance=settings.gate_fpr_tolerance,
        n_bootstrap=settings.gate_n_bootstrap,
        seed=settings.seed,
        min_recent=settings.gate_min_recent,
        spam_floor_f1=settings.gate_floor_spam_f1,
        spam_floor_fpr=settings.gate_floor_spam_fpr,
        recsys_floor_ndcg=settings.gate_floor_recsys_ndcg,
    )


def judge_spam(
    candidate: Candidate, champion: SpamFilterModel | None, snapshot: SpamSnapshot, policy: GatePolicy
) -> GateDecision:
    """Compare binary decisions on the fixed holdout and on the recent labeled slice."""
    assert candidate.threshold is not None
    holdout_texts, y_holdout = snapshot.holdout["text"].tolist(), snapshot.holdout["label"].to_numpy()
    recent_texts, y_recent = snapshot.recent["text"].tolist(), snapshot.recent["label"].to_numpy()

    def predictions(model: Any, threshold: float, texts: list[str], y: np.ndarray) -> SpamPredictions | None:
        if len(texts) == 0:
            return None
        return SpamPredictions(y_true=y, y_pred=spam_decisions(model, threshold, texts))

    challenger = predictions(candidate.estimator, candidate.threshold, holdout_texts, y_holdout)
    recent_challenger = predictions(candidate.estimator, candidate.threshold, recent_texts, y_recent)
    assert challenger is not None
    if champion is None:
        return decide_spam(challenger=challenger, champion=None, policy=policy)
    return decide_spam(
        challenger=challenger,
        champion=predictions(champion.estimator, champion.threshold, holdout_texts, y_holdout),
        recent_challenger=recent_challenger,
        recent_champion=predictions(champion.estimator, champion.threshold, recent_texts, y_recent),
        policy=policy,
    )


def judge_recsys(
    candidate: Candidate, champion: RecommenderModel | None, snapshot: RecsysSnapshot, policy: GatePolicy
) -> GateDecision:
    """Compare per-user NDCG@10 on the holdout and recent slice, over users both models can rank."""
    if champion is None:
        ndcg = _per_user(candidate.estimator, snapshot, snapshot.holdout)
        return decide_recsys(challenger_ndcg=ndcg["ndcg@10"].to_numpy(), champion_ndcg=None, policy=policy)

    def paired(test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        both = test[
            candidate.estimator.users_.contains(test["user_id"].to_numpy())
            & champion.estimator.users_.contains(test["user_id"].to_numpy())
        ]
        if both.empty:
            return None, None
        a = _per_user(candidate.estimator, snapshot, both).set_index("user_id")["ndcg@10"]
        b = _per_user(champion.estimator, snapshot, both).set_index("user_id")["ndcg@10"]
        return a.to_numpy(), b.reindex(a.index).to_numpy()

    challenger_ndcg, champion_ndcg = paired(snapshot.holdout)
    if challenger_ndcg is None:
        raise ValueError("no holdout user is known to both the challenger and the champion")
    recent_challenger, recent_champion = paired(snapshot.recent) if len(snapshot.recent) else (None, None)
    return decide_recsys(
        challenger_ndcg=challenger_ndcg,
        champion_ndcg=champion_ndcg,
        recent_challenger_ndcg=recent_challenger,
        recent_champion_ndcg=recent_champion,
        policy=policy,
    )


def _per_user(model: Any, snapshot: RecsysSnapshot, test: pd.DataFrame) -> pd.DataFrame:
    return ranking_report(model, snapshot.train, test, exclude=[snapshot.valid]).per_user
