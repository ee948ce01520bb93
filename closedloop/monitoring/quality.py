"""Live model quality on the predictions that got an answer from reality: for spam, the latest feedback per
prediction (`recent_predictions`) or a consensus label; for recommendations, every reaction to a list
(clicks, ratings, dismissals, views; sent as feedback or as interactions that name the list:
`read_reactions`), so that one liked item among several ratings is a hit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from closedloop.monitoring.window import spam_texts
from closedloop.store import Store, read_reactions, read_training_labels
from models.recsys.reactions import list_outcomes
from models.recsys.reactions import quality as reaction_quality
from models.spam.metrics import classification_report

FEEDBACK_LABEL = {"report_spam": 1, "not_spam": 0}


def spam_labels(predictions: pd.DataFrame, store: Store) -> pd.Series:
    """1 spam / 0 ham per prediction, NaN where unknown; a current consensus label of the same text wins over
    the prediction's latest feedback (it already weighs every report, and annotations outrank users)."""
    labels = predictions["feedback_kind"].map(FEEDBACK_LABEL).astype("float64")
    from closedloop.kinds import kind  # kinds import the kernel: looked up when called

    spam = kind("spam")
    with store.session() as session:
        consensus = read_training_labels(session, kind=spam).frame
    if not consensus.empty:
        by_key = dict(zip(consensus["subject_key"], consensus["label"].astype("float64"), strict=True))
        keys = [spam.subject_key({"text": text}) for text in spam_texts(predictions)]
        agreed = pd.Series([by_key.get(k, np.nan) for k in keys], index=predictions.index)
        labels = agreed.fillna(labels)
    return labels


def spam_quality(predictions: pd.DataFrame, labels: pd.Series) -> dict[str, float | int]:
    """f1, precision, recall, fpr, accuracy, roc_auc at the served threshold, and n_labeled; a metric that is
    undefined (nothing labelled, AUC on one class) is left out."""
    known = labels.notna()
    if not known.any():
        return {"n_labeled": 0}
    threshold = float(predictions["output"].iloc[0].get("threshold", 0.5))
    report = classification_report(
        labels[known].astype(int).to_numpy(), predictions["score"][known], threshold
    )
    quality: dict[str, float | int | None] = {
        name: _finite(report[name]) for name in ("f1", "precision", "recall", "fpr", "accuracy", "roc_auc")
    }
    quality["threshold"] = threshold
    quality["n_labeled"] = int(known.sum())
    return {name: value for name, value in quality.items() if value is not None}


def recsys_reactions(predictions: pd.DataFrame, store: Store) -> pd.DataFrame:
    """Every reaction (`closedloop.store.REACTION_COLUMNS`) to the recommendation lists in `predictions`,
    from feedback and from the interactions that carry one of their prediction ids."""
    first = predictions["created_at"].min()  # the window's oldest list: no reaction before it matters
    with store.session() as session:
        reactions = read_reactions(session, since=None if pd.isna(first) else first.to_pydatetime())
    return reactions[reactions["prediction_id"].isin(predictions["prediction_id"])]


def recsys_quality(predictions: pd.DataFrame, reactions: pd.DataFrame) -> dict[str, float | int]:
    """hit_rate, mrr, ndcg of the first positive reaction over lists that got any reaction, ctr (share of
    lists with a click), and the counts: n_lists served, n_answered (any reaction), n_hits (a positive
    reaction on a listed item), n_clicked. See `models.recsys.reactions`; an undefined figure is left out."""
    lists = pd.Series(
        [list(o.get("items", [])) for o in predictions["output"]], index=predictions["prediction_id"]
    )
    counts = list_outcomes(lists, reactions).sum().to_dict()
    figures = {name: _finite(v) for name, v in reaction_quality(counts).items() if v is not None}
    quality: dict[str, float | int | None] = {
        **figures,
        "n_lists": len(lists),
        "n_answered": int(counts["answered"]),
        "n_hits": int(counts["hits"]),
        "n_clicked": int(counts["clicked"]),
    }
    return {name: value for name, value in quality.items() if value is not None}


def _finite(value: float | int) -> float | None:
    """JSON has no NaN: an undefined metric (AUC on one class) is null."""
    value = float(value)
    return value if math.isfinite(value) else None
