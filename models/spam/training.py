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
from models.spam.metrics import choose_threshold, classification_report
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
) -> FittedSpamModel:
    """Fit on `fit_*`, early-stop (torch) and choose the F1-optimal threshold on `val_*`."""
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
    threshold = choose_threshold(np.asarray(val_labels), val_proba)
    report = classification_report(np.asarray(val_labels), val_proba, threshold)
    history = list(estimator.history_.epochs) if isinstance(estimator, HashedNgramSpamModel) else []
    return FittedSpamModel(
        name=name, estimator=estimator, threshold=threshold, validation=report, history=history
    )
