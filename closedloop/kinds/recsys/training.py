"""The recommender's candidates and the gate's comparison for it: fitting on the snapshot's pairs, and the
per-user NDCG@10 both models reach on the window and the holdout from the same folded-in history."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from closedloop.gate import Floor, GateDecision, GatePolicy, UnitScores, decide
from closedloop.kinds.recsys.config import NAME
from closedloop.kinds.recsys.packaging import RecommenderModel
from closedloop.retraining.candidate import Candidate
from models.recsys.metrics import evaluate_from_histories, evaluate_ranking
from models.recsys.splits import RatingSplit

K = 10
METRIC = "ndcg_at_10"
PAIR = ["user_id", "item_id"]


def train_recsys_candidate(snapshot: Any, name: str, *, seed: int = 0) -> Candidate:
    """Fit on the snapshot's training pairs, select on its valid pairs, score the holdout per user."""
    started = time.perf_counter()
    catalogue = snapshot.catalogue["item_id"].to_numpy()
    split = RatingSplit(train=snapshot.train, valid=snapshot.valid, test=snapshot.holdout)
    from models.recsys.evaluate import fit_recommender  # torch: only when a candidate trains

    estimator, selection = fit_recommender(name, split=split, catalogue=catalogue, seed=seed, progress=False)
    report = ranking_report(estimator, snapshot.train, snapshot.holdout, exclude=[snapshot.valid])
    return Candidate(
        task=NAME,
        name=name,
        estimator=estimator,
        threshold=None,
        selection_score=float(selection[f"valid_ndcg@{K}"]),
        holdout_metrics={f"holdout_{k}": float(v) for k, v in report.metrics.items()},
        params={"model": name, **selection, "n_train": len(snapshot.train)},
        history=list(getattr(getattr(estimator, "history_", None), "epochs", [])),
        seconds=time.perf_counter() - started,
    )


def ranking_report(
    model: Any, train: pd.DataFrame, test: pd.DataFrame, *, exclude: list[pd.DataFrame]
) -> Any:
    """Per-user METRIC@10 etc. on `test`, restricted to users the model knows (others cannot be ranked)."""
    known = test[model.users_.contains(test["user_id"].to_numpy())]
    return evaluate_ranking(model, train, known, k=K, exclude=exclude)


def judge_recsys(
    candidate: Candidate,
    champion: RecommenderModel | None,
    snapshot: Any,
    policy: GatePolicy,
    *,
    floors: list[Floor],
) -> GateDecision:
    """Compare per-user METRIC@10 on the window and on the holdout. Both models rank each user from the same
    history (the snapshot's, folded in), so only what each learned differs, not what each was shown."""
    train, valid = snapshot.train[PAIR], snapshot.valid[PAIR]

    def scores(relevant: pd.DataFrame, seen: pd.DataFrame) -> UnitScores | None:
        if relevant.empty:
            return None
        history = train[train["user_id"].isin(relevant["user_id"])]
        new = evaluate_from_histories(candidate.estimator, history=history, relevant=relevant, seen=seen)
        old = None
        if champion is not None:
            old = evaluate_from_histories(champion.estimator, history=history, relevant=relevant, seen=seen)
        return UnitScores(
            challenger=new.per_user[f"ndcg@{K}"].to_numpy(),
            champion=None if old is None else old.per_user[f"ndcg@{K}"].to_numpy(),
        )

    holdout = scores(snapshot.holdout[PAIR], valid)
    if holdout is None:
        raise ValueError("the recommender snapshot has an empty holdout")
    window = scores(snapshot.window[PAIR], snapshot.seen) if champion is not None else None
    return decide(metric=METRIC, holdout=holdout, window=window, floors=floors, policy=policy)
