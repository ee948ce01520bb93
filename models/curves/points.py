"""One point of a learning curve: train on a seeded subset of the training data, score on the fixed holdout.

The holdout never changes between points, so the curve shows what the extra labels bought and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from models.recsys.evaluate import K, fit_recommender
from models.recsys.metrics import evaluate_ranking
from models.recsys.splits import RatingSplit
from models.spam.metrics import classification_report
from models.spam.training import fit_spam_model

__all__ = ["VAL_FRACTION", "nested_order", "recsys_point", "spam_point", "subsample_interactions"]

# Share of each subset that chooses the spam threshold; the labels it uses still count towards n.
VAL_FRACTION = 0.2


def nested_order(labels: ArrayLike, seed: int) -> np.ndarray:
    """A seeded order of the rows whose every prefix keeps the label mix (within one row per class).

    Subsets are prefixes of one order per seed, so a seed's larger subsets contain its smaller ones: the
    curve then measures what the extra labels add, not a fresh draw of luck at every size.
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    key = np.empty(len(y), dtype=np.float64)
    for value in np.unique(y):
        rows = np.flatnonzero(y == value)
        # The i-th row of a class (in a random order) sits at quantile (i + jitter) / class size.
        key[rng.permutation(rows)] = (np.arange(len(rows)) + rng.random(len(rows))) / len(rows)
    return np.argsort(key, kind="stable")


def spam_point(
    *,
    texts: Sequence[str],
    labels: ArrayLike,
    holdout_texts: Sequence[str],
    holdout_labels: ArrayLike,
    size: int,
    seed: int,
    model: str = "baseline",
) -> float:
    """Holdout F1 of `model` trained on `size` labelled messages drawn (stratified) with `seed`.

    The subset (a prefix of `nested_order`) is cut into fit and validation parts (VAL_FRACTION); the
    threshold is chosen on the validation part only, as in retraining, so the holdout stays untouched.
    """
    y = np.asarray(labels, dtype=np.int64)
    if not 0 < size <= len(y):
        raise ValueError(f"size must lie in [1, {len(y)}], got {size}")
    subset = nested_order(y, seed)[:size]
    # Every 5th row of the prefix validates, so validation sets are nested and stratified too.
    is_val = np.arange(size) % round(1 / VAL_FRACTION) == round(1 / VAL_FRACTION) - 1
    fit_rows, val_rows = subset[~is_val], subset[is_val]
    fitted = fit_spam_model(
        model,
        fit_texts=[texts[i] for i in fit_rows],
        fit_labels=y[fit_rows],
        val_texts=[texts[i] for i in val_rows],
        val_labels=y[val_rows],
        seed=seed,
        progress=False,
    )
    proba = fitted.estimator.predict_proba(list(holdout_texts))
    return float(classification_report(np.asarray(holdout_labels), proba, fitted.threshold)["f1"])


def subsample_interactions(train: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """`size` rows of `train`, keeping at least one per user so every test user can still be ranked for.

    One random interaction per user first, then the rest drawn uniformly from what is left.
    """
    n_users = train["user_id"].nunique()
    if not n_users <= size <= len(train):
        raise ValueError(f"size must lie in [{n_users} (one per user), {len(train)}], got {size}")
    rng = np.random.default_rng(seed)
    shuffled = train.iloc[rng.permutation(len(train))]
    first = ~shuffled["user_id"].duplicated()  # (rows,) the first shuffled row of each user
    keep = np.flatnonzero(first.to_numpy())
    rest = np.flatnonzero(~first.to_numpy())[: size - len(keep)]
    return shuffled.iloc[np.sort(np.concatenate([keep, rest]))].reset_index(drop=True)


def recsys_point(
    split: RatingSplit, *, catalogue: ArrayLike, size: int, seed: int, model: str = "knn"
) -> float:
    """Test NDCG@10 of `model` trained on `size` of `split.train`'s interactions (selected on valid).

    Ranking masks the whole training part and valid, not only the subset: dropped interactions are items
    the user has seen, merely unlabelled for us, and the candidate set then stays the same at every size.
    """
    part = subsample_interactions(split.train, size, seed)
    reduced = RatingSplit(train=part, valid=split.valid, test=split.test)
    fitted, _ = fit_recommender(model, split=reduced, catalogue=catalogue, seed=seed, progress=False)
    report = evaluate_ranking(fitted, split.train, split.test, k=K, exclude=[split.valid])
    return float(report.metrics[f"ndcg@{K}"])
