"""The spam filter's monitoring: text descriptors and served scores of the champion's holdout (reference)
against the logged messages (current window), and live quality from what users and labels said.

The reference is the champion's training snapshot, rebuilt at the feedback watermark it was trained on: a
sample of its holdout, described like the live traffic and scored by the champion itself. The holdout is
drawn from the same corpus as the training rows but was never fitted, so the champion's scores on it are
what unchanged traffic would get (on training rows they would be over-confident).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from closedloop.kinds.contract import Monitored
from closedloop.kinds.spam.config import CONFIG, FEEDBACK_VOTES, NAME
from closedloop.kinds.spam.feedback import message_key
from closedloop.kinds.spam.snapshot import build_spam_snapshot
from closedloop.monitoring.figures import finite
from closedloop.store import Store, read_training_labels
from models.spam.corpus import message_text
from models.spam.descriptors import TextProfile, describe_texts, text_profile
from models.spam.metrics import classification_report


class SpamMonitoring:
    """Monitoring hook: reference and current descriptor frames, and live classification quality."""

    def monitor(self, settings: Any, store: Store, champion: Any, predictions: pd.DataFrame) -> Monitored:
        snapshot = build_spam_snapshot(settings, store, upto_id=champion.upto_id)
        profile = text_profile(snapshot.train["text"])
        n = min(settings.monitor_reference_size, len(snapshot.holdout))
        texts = snapshot.holdout["text"].sample(n=n, random_state=settings.seed).tolist()
        reference = describe_texts(texts, profile)
        reference["score"] = np.asarray(champion.wrapper.spam_probability(texts), dtype=np.float64)
        description = (
            f"{CONFIG.registered_name} v{champion.version} training snapshot (label watermark "
            f"{champion.upto_id}): {n} holdout messages scored by the champion; vocabulary and link hosts "
            f"of its {len(snapshot.train)} training messages"
        )
        return Monitored(
            reference=reference,
            current=spam_frame(predictions, profile),
            description=description,
            quality=spam_quality(predictions, spam_labels(predictions, store)),
        )


def spam_texts(predictions: pd.DataFrame) -> list[str]:
    """The logged model text of each prediction (older rows may carry only subject and body)."""
    return [
        str(i["text"]) if i.get("text") is not None else message_text(i.get("subject", ""), i.get("body", ""))
        for i in predictions["input"]
    ]


def spam_frame(predictions: pd.DataFrame, profile: TextProfile) -> pd.DataFrame:
    """Descriptors + the served spam probability, one row per logged prediction."""
    frame = describe_texts(spam_texts(predictions), profile)
    frame["score"] = [float(o["spam_probability"]) for o in predictions["output"]]
    return frame


def spam_labels(predictions: pd.DataFrame, store: Store) -> pd.Series:
    """1 spam / 0 ham per prediction, NaN where unknown; a current consensus label of the same text wins over
    the prediction's latest feedback (it already weighs every report, and annotations outrank users)."""
    from closedloop.kinds import kind as kind_of  # the registry imports this package: looked up when called

    labels = predictions["feedback_kind"].map(FEEDBACK_VOTES).astype("float64")
    with store.session() as session:
        consensus = read_training_labels(session, kind=kind_of(NAME)).frame
    if not consensus.empty:
        by_key = dict(zip(consensus["subject_key"], consensus["label"].astype("float64"), strict=True))
        keys = [message_key(text) for text in spam_texts(predictions)]
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
        name: finite(report[name]) for name in ("f1", "precision", "recall", "fpr", "accuracy", "roc_auc")
    }
    quality["threshold"] = threshold
    quality["n_labeled"] = int(known.sum())
    return {name: value for name, value in quality.items() if value is not None}
