"""The spam evaluation protocol, end to end, for either model under either split.

deduplicate -> split (time or random, 70/30) -> carve validation from train (15 %, the latest part under
the time protocol) -> fit on train minus validation -> choose the F1-optimal threshold on validation ->
score the test set once at that threshold. The test set never influences any choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from models.spam.corpus import deduplicate, message_texts
from models.spam.metrics import classification_report
from models.spam.splits import SPLITS, random_split, time_split, validation_split
from models.spam.training import MODELS, fit_spam_model

logger = logging.getLogger(__name__)

TEST_FRACTION = 0.3
VALIDATION_FRACTION = 0.15
_REQUIRED_COLUMNS = ("message_id", "label", "subject", "body", "date")


class SpamClassifier(Protocol):
    """What the protocol needs of a model: both spam models satisfy it."""

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


@dataclass
class SpamEvaluation:
    """The outcome of one protocol run.

    `metrics`: test f1, precision, recall, fpr, roc_auc, accuracy, threshold, plus n_train (rows the model
    was fit on: train minus validation), n_val, n_test. `model` is fitted and ready to serve with
    `threshold`. `predictions`: per test message, message_id, label and spam_probability.
    """

    metrics: dict[str, float | int]
    model: SpamClassifier
    threshold: float
    predictions: pd.DataFrame


def evaluate_spam(
    df: pd.DataFrame,
    *,
    model: str,
    split: str,
    seed: int = 0,
    progress: bool | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
) -> SpamEvaluation:
    """Run the protocol on a corpus frame (`read_corpus` output) and report test metrics.

    `model`: "baseline" (TF-IDF + logistic regression) or "torch" (hashed n-gram EmbeddingBag).
    `split`: "time" (train on the oldest 70 %) or "random" (stratified, seeded by `seed`).
    Duplicates are dropped first (`deduplicate` is idempotent), so copies can't straddle the splits.
    `checkpoint_dir` / `resume` / `progress` reach the torch model's training loop.
    """
    if model not in MODELS:
        raise ValueError(f"unknown spam model {model!r}; choose one of {', '.join(MODELS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    missing = [column for column in _REQUIRED_COLUMNS if column not in df.columns]
    if missing:
        raise ValueError(
            f"corpus frame lacks columns {missing}; build it with models.spam.corpus.read_corpus"
        )

    messages = deduplicate(df)
    by_time = split == "time"
    train, test = (
        time_split(messages, TEST_FRACTION) if by_time else random_split(messages, TEST_FRACTION, seed)
    )
    fit_part, val = validation_split(train, VALIDATION_FRACTION, seed, by_time=by_time)
    fit_texts, val_texts, test_texts = message_texts(fit_part), message_texts(val), message_texts(test)
    logger.info(
        "spam %s/%s: fit on %d, validate on %d, test on %d", model, split, len(fit_part), len(val), len(test)
    )

    fitted = fit_spam_model(
        model,
        fit_texts=fit_texts,
        fit_labels=fit_part["label"],
        val_texts=val_texts,
        val_labels=val["label"],
        seed=seed,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
    )
    estimator, threshold = fitted.estimator, fitted.threshold
    test_proba = estimator.predict_proba(test_texts)[:, 1]
    report = classification_report(test["label"], test_proba, threshold)
    metrics: dict[str, float | int] = {
        **{key: value for key, value in report.items() if key != "n"},
        "n_train": len(fit_part),
        "n_val": len(val),
        "n_test": len(test),
    }
    predictions = pd.DataFrame(
        {"message_id": test["message_id"], "label": test["label"], "spam_probability": test_proba}
    )
    logger.info(
        "spam %s/%s: test f1=%.4f fpr=%.4f at threshold %.3f",
        model,
        split,
        metrics["f1"],
        metrics["fpr"],
        threshold,
    )
    return SpamEvaluation(metrics=metrics, model=estimator, threshold=threshold, predictions=predictions)
