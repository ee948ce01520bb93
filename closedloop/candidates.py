"""Train one candidate model on a snapshot and score it on the gate's evaluation sets.

Pure computation (no MLflow, no Prefect): the retrain flow runs these as parallel tasks and logs the results
afterwards, so the same functions work in a thread, a Dask worker or a test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from closedloop.datasets.recsys import RecsysSnapshot
from closedloop.datasets.spam import SpamSnapshot
from models.recsys.evaluate import fit_recommender
from models.recsys.metrics import evaluate_ranking
from models.recsys.splits import RatingSplit
from models.spam.metrics import classification_report
from models.spam.training import fit_at_operating_point, fit_spam_model

VALIDATION_FRACTION = 0.15
K = 10


@dataclass
class Candidate:
    task: str  # "spam" | "recsys"
    name: str  # "baseline", "torch", "knn", ...
    estimator: Any
    threshold: float | None  # spam only
    selection_score: float  # on validation data: spam F1, recsys NDCG@10 — picks the best candidate
    holdout_metrics: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    history: list[Any] = field(default_factory=list)
    seconds: float = 0.0


def train_spam_candidate(
    snapshot: SpamSnapshot, name: str, *, seed: int = 0, target_fpr: float | None = None
) -> Candidate:
    """Fit on the snapshot's training rows at its operating point, and score the holdout.

    With `target_fpr`, the baseline is cross-fitted (`fit_at_operating_point`: the threshold meets the FPR on
    out-of-fold scores of the newest rows, then one fit on everything); the torch model, and any model with
    `target_fpr=None`, fits on the older 85 % and chooses its threshold (and early stopping) on the newest
    15 %."""
    started = time.perf_counter()
    train = snapshot.train
    if target_fpr is not None and name == "baseline":
        fitted = fit_at_operating_point(
            name,
            texts=train["text"].tolist(),
            labels=train["label"].to_numpy(),
            target_fpr=target_fpr,
            seed=seed,
        )
        sizes = {"n_fit": len(train), "n_val": int(fitted.validation["n"])}
    else:
        n_val = max(1, int(len(train) * VALIDATION_FRACTION))
        fit_part, val = train.iloc[:-n_val], train.iloc[-n_val:]
        fitted = fit_spam_model(
            name,
            fit_texts=fit_part["text"].tolist(),
            fit_labels=fit_part["label"].to_numpy(),
            val_texts=val["text"].tolist(),
            val_labels=val["label"].to_numpy(),
            seed=seed,
            progress=False,
            target_fpr=target_fpr,
        )
        sizes = {"n_fit": len(fit_part), "n_val": n_val}
    proba = fitted.estimator.predict_proba(snapshot.holdout["text"].tolist())[:, 1]
    holdout = classification_report(snapshot.holdout["label"].to_numpy(), proba, fitted.threshold)
    return Candidate(
        task="spam",
        name=name,
        estimator=fitted.estimator,
        threshold=fitted.threshold,
        selection_score=float(fitted.validation["f1"]),
        holdout_metrics={f"holdout_{k}": float(v) for k, v in holdout.items()},
        params={
            "model": name,
            **fitted.estimator.get_params(),
            **sizes,
            "target_fpr": target_fpr,
            "validation_recall": float(fitted.validation["recall"]),
            "validation_fpr": float(fitted.validation["fpr"]),
        },
        history=fitted.history,
        seconds=time.perf_counter() - started,
    )


def spam_decisions(model: Any, threshold: float, texts: list[str]) -> np.ndarray:
    """Binary decisions of a spam model at its own threshold: what the gate compares."""
    if not texts:
        return np.zeros(0, dtype=bool)
    return np.asarray(model.predict_proba(texts))[:, 1] >= threshold


def train_recsys_candidate(snapshot: RecsysSnapshot, name: str, *, seed: int = 0) -> Candidate:
    """Fit on the snapshot's training pairs, select on its valid pairs, score the holdout per user."""
    started = time.perf_counter()
    catalogue = snapshot.catalogue["item_id"].to_numpy()
    split = RatingSplit(train=snapshot.train, valid=snapshot.valid, test=snapshot.holdout)
    estimator, selection = fit_recommender(name, split=split, catalogue=catalogue, seed=seed, progress=False)
    report = ranking_report(estimator, snapshot.train, snapshot.holdout, exclude=[snapshot.valid])
    return Candidate(
        task="recsys",
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
    """Per-user NDCG@10 etc. on `test`, restricted to users the model knows (others cannot be ranked)."""
    known = test[model.users_.contains(test["user_id"].to_numpy())]
    return evaluate_ranking(model, train, known, k=K, exclude=exclude)
