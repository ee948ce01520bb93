"""Fit a spam model and choose its operating threshold: the step shared by the evaluation protocol and the
retraining flow, so both produce the same kind of model the same way."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.metrics import choose_threshold, classification_report, threshold_for_fpr
from models.spam.neural import HashedNgramSpamModel

logger = logging.getLogger(__name__)

MODELS = ("baseline", "torch")


@dataclass
class FittedSpamModel:
    """A fitted estimator, its threshold (chosen on validation only) and the validation report there."""

    name: str
    estimator: TfidfLogisticSpamModel | HashedNgramSpamModel
    threshold: float
    validation: dict[str, float] = field(default_factory=dict)
    history: list[Any] = field(default_factory=list)  # torch: per-epoch EpochRecords


def build_spam_model(
    name: str,
    *,
    seed: int = 0,
    progress: bool | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
) -> TfidfLogisticSpamModel | HashedNgramSpamModel:
    """A fresh, unfitted model by CLI name; unknown names raise ValueError listing the choices."""
    if name not in MODELS:
        raise ValueError(f"unknown spam model {name!r}; choose one of {', '.join(MODELS)}")
    if name == "baseline":
        if checkpoint_dir is not None or resume:
            logger.info(
                "the baseline trains in seconds and keeps no checkpoints; ignoring checkpoint_dir/resume"
            )
        return TfidfLogisticSpamModel()
    return HashedNgramSpamModel(seed=seed, progress=progress, checkpoint_dir=checkpoint_dir, resume=resume)


def fit_spam_model(
    name: str,
    *,
    fit_texts: Sequence[str],
    fit_labels: Sequence[int] | np.ndarray,
    val_texts: Sequence[str],
    val_labels: Sequence[int] | np.ndarray,
    seed: int = 0,
    progress: bool | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    target_fpr: float | None = None,
) -> FittedSpamModel:
    """Fit on `fit_*`, early-stop (torch) and choose the threshold on `val_*`: the lowest one whose FPR is
    at most `target_fpr` (the platform's operating point), or with None the F1 rule of `choose_threshold`
    (the evaluation protocol, comparable with published F1 figures)."""
    estimator = build_spam_model(
        name, seed=seed, progress=progress, checkpoint_dir=checkpoint_dir, resume=resume
    )
    if isinstance(estimator, HashedNgramSpamModel):
        # Early stopping watches the same validation set the threshold is chosen on: both are model selection.
        estimator.fit(
            list(fit_texts), np.asarray(fit_labels), eval_set=(list(val_texts), np.asarray(val_labels))
        )
    else:
        estimator.fit(list(fit_texts), np.asarray(fit_labels))
    val_proba = estimator.predict_proba(list(val_texts))
    if target_fpr is None:
        threshold = choose_threshold(np.asarray(val_labels), val_proba)
    else:
        threshold = threshold_for_fpr(np.asarray(val_labels), val_proba, target_fpr=target_fpr)
    report = classification_report(np.asarray(val_labels), val_proba, threshold)
    history = list(estimator.history_.epochs) if isinstance(estimator, HashedNgramSpamModel) else []
    return FittedSpamModel(
        name=name, estimator=estimator, threshold=threshold, validation=report, history=history
    )


def fit_at_operating_point(
    name: str,
    *,
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    target_fpr: float,
    recent_fraction: float = 0.3,
    folds: int = 2,
    seed: int = 0,
) -> FittedSpamModel:
    """Fit the baseline on every text (oldest first) at the threshold whose FPR is `target_fpr` on the
    newest `recent_fraction`, scored out of fold.

    Cross-fitting: the newest part is cut into `folds` interleaved folds; a model fitted on everything but
    one fold scores it. Each score then comes from a model that saw almost all the data, the newest labels
    included, so the threshold fits the final model (fitted on all of it) far better than one chosen on a
    held-out tail that the final model then trains on; and the tail can be large enough to hold the ham an
    FPR of 1 % needs (with a fit on the older rows only, a 2002 filter trained without the newest ham flags
    it and the threshold climbs to 0.99). Costs `folds` extra fits. The torch model early-stops on the tail
    instead (`fit_spam_model`), since three of its fits cost minutes.
    """
    text_list, y = list(texts), np.asarray(labels)
    n_recent = max(folds, int(len(y) * recent_fraction))
    recent = np.arange(len(y) - n_recent, len(y))
    scores = np.zeros(n_recent)
    for fold in range(folds):
        scored = recent[fold::folds]
        keep = np.setdiff1d(np.arange(len(y)), scored)
        model = build_spam_model(name, seed=seed).fit([text_list[i] for i in keep], y[keep])
        scores[fold::folds] = model.predict_proba([text_list[i] for i in scored])[:, 1]
    threshold = threshold_for_fpr(y[recent], scores, target_fpr=target_fpr)
    report = classification_report(y[recent], scores, threshold)
    estimator = build_spam_model(name, seed=seed).fit(text_list, y)
    return FittedSpamModel(name=name, estimator=estimator, threshold=threshold, validation=report)
