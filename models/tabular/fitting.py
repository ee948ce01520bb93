"""The estimators of a tabular classifier, and fitting one at the threshold that meets a false-positive rate.

The threshold is chosen on out-of-fold scores of the training rows (stratified k-fold, each fold scored by a
model fitted on the others), then one model is fitted on every row: small tables have no room for a
held-out validation slice, and a threshold chosen on the training rows' own scores would be overconfident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from models.classification import threshold_for_fpr

# name -> (seed -> unfitted estimator with predict_proba)
ESTIMATORS: dict[str, Callable[[int], ClassifierMixin]] = {
    "logreg": lambda seed: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)
    ),
    "forest": lambda seed: RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed),
}


def build_estimator(name: str, seed: int = 0) -> ClassifierMixin:
    """A fresh estimator by name; an unknown name raises ValueError listing the choices."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown tabular estimator {name!r}; choose one of {', '.join(ESTIMATORS)}")
    return ESTIMATORS[name](seed)


@dataclass
class FittedClassifier:
    """A fitted estimator, its threshold, and the out-of-fold scores the threshold was chosen on."""

    estimator: ClassifierMixin
    threshold: float
    oof_scores: np.ndarray = field(repr=False)


def fit_at_fpr(
    name: str, features: pd.DataFrame, labels: np.ndarray, *, target_fpr: float, seed: int = 0, folds: int = 5
) -> FittedClassifier:
    """Fit `name` on every row; its threshold is the lowest whose out-of-fold FPR is at most `target_fpr`."""
    y = np.asarray(labels, dtype=np.int64)
    x = features.to_numpy(dtype=np.float64)  # (rows, features)
    folds = max(2, min(folds, int(np.bincount(y, minlength=2).min())))
    scores = np.zeros(len(y))
    for fit_rows, score_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = build_estimator(name, seed).fit(x[fit_rows], y[fit_rows])
        scores[score_rows] = model.predict_proba(x[score_rows])[:, 1]
    threshold = threshold_for_fpr(y, scores, target_fpr=target_fpr)
    return FittedClassifier(build_estimator(name, seed).fit(x, y), threshold, scores)
