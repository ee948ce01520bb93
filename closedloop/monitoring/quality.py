"""Live model quality on the predictions that got an answer from reality: spam feedback or consensus labels,
clicks on recommendations. Only the latest feedback per prediction is seen (`recent_predictions`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from closedloop.monitoring.window import spam_texts
from closedloop.store import Store, read_training_labels, spam_subject_key
from models.recsys.descriptors import click_ranking, hit_rate
from models.spam.metrics import classification_report

FEEDBACK_LABEL = {"report_spam": 1, "not_spam": 0}


def spam_labels(predictions: pd.DataFrame, store: Store) -> pd.Series:
    """1 spam / 0 ham per prediction, NaN where unknown; a current consensus label of the same text wins over
    the prediction's latest feedback (it already weighs every report, and annotations outrank users)."""
    labels = predictions["feedback_kind"].map(FEEDBACK_LABEL).astype("float64")
    with store.session() as session:
        consensus = read_training_labels(session, model="spam").frame
    if not consensus.empty:
        by_key = dict(zip(consensus["subject_key"], consensus["label"].astype("float64"), strict=True))
        keys = [spam_subject_key(text) for text in spam_texts(predictions)]
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


def recsys_quality(predictions: pd.DataFrame) -> dict[str, float | int]:
    """ctr: share of lists whose latest feedback is a click; hit_rate: a click on one of the listed items;
    click_mrr / click_ndcg: ranking quality on clicks (the clicked item's rank in its list, see
    `click_ranking`); n_clicked: lists with a click; n_labeled: lists with any feedback."""
    clicked = predictions["feedback_value"].where(predictions["feedback_kind"] == "click")
    items = pd.Series([list(o.get("items", [])) for o in predictions["output"]], index=predictions.index)
    quality = {
        "ctr": _finite(float((predictions["feedback_kind"] == "click").mean())) if len(predictions) else None,
        "hit_rate": _finite(hit_rate(items, clicked)),
        **{f"click_{name}": _finite(value) for name, value in click_ranking(items, clicked).items()},
        "n_clicked": int(clicked.notna().sum()),
        "n_labeled": int(predictions["feedback_kind"].notna().sum()),
    }
    return {name: value for name, value in quality.items() if value is not None}


def _finite(value: float | int) -> float | None:
    """JSON has no NaN: an undefined metric (AUC on one class) is null."""
    value = float(value)
    return value if math.isfinite(value) else None
