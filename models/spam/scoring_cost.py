"""What one message costs the baseline to score, and what its scores are worth, on validation data only.

For each split of the evaluation protocol (random, seeds 0-4, and time; `evaluate.evaluate_spam`), the
baseline is fitted on train minus validation, as the protocol fits it; the test part is never scored.
Its validation messages are then scored two ways by the same fitted model: "sklearn", the fitted
`Pipeline.predict_proba` (scikit-learn's featurisation, as the baseline scored until the compiled scorer),
and "compiled", `TfidfLogisticSpamModel.predict_proba` through `scorer.TfidfLogisticScorer`. Each way
reports validation F1 (at the F1-optimal threshold chosen on those scores, as `fit_spam_model` reports
it) and ROC AUC, and milliseconds per message scored one at a time and in batches of 8, the two ways
interleaved message by message so that both meet the same machine load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.corpus import deduplicate, message_texts
from models.spam.evaluate import TEST_FRACTION, VALIDATION_FRACTION
from models.spam.metrics import choose_threshold, classification_report
from models.spam.splits import random_split, time_split, validation_split

SEEDS = (0, 1, 2, 3, 4)
BATCH = 8
Scorer = Callable[[list[str]], np.ndarray]  # texts -> (n,) P(spam)


def validation_splits(
    df: pd.DataFrame, seeds: Sequence[int] = SEEDS
) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(name, fit rows, validation rows) of each protocol split: "random-<seed>" for each seed, "time"."""
    messages = deduplicate(df)
    for seed in seeds:
        train, _test = random_split(messages, TEST_FRACTION, seed)
        yield (f"random-{seed}", *validation_split(train, VALIDATION_FRACTION, seed, by_time=False))
    train, _test = time_split(messages, TEST_FRACTION)
    yield ("time", *validation_split(train, VALIDATION_FRACTION, 0, by_time=True))


def interleaved_ms(scorers: dict[str, Scorer], texts: list[str], batch: int) -> dict[str, float]:
    """Median milliseconds per message of each scorer over `texts` in chunks of `batch`, taking turns."""
    elapsed: dict[str, list[float]] = {name: [] for name in scorers}
    for start in range(0, len(texts) - batch + 1, batch):
        chunk = texts[start : start + batch]
        for name, score in scorers.items():
            began = time.perf_counter()
            score(chunk)
            elapsed[name].append((time.perf_counter() - began) * 1e3 / batch)
    return {name: float(np.median(times)) for name, times in elapsed.items()}


def scoring_cost(fit: pd.DataFrame, val: pd.DataFrame, *, timed: int = 200) -> dict[str, Any]:
    """Fit the baseline on `fit`; validation quality and per-message milliseconds of both ways of scoring
    (the first `timed` validation messages are timed)."""
    model = TfidfLogisticSpamModel().fit(message_texts(fit), fit["label"].to_numpy())
    scorers: dict[str, Scorer] = {
        "sklearn": lambda texts: model.pipeline_.predict_proba(texts)[:, 1],
        "compiled": lambda texts: model.predict_proba(texts)[:, 1],
    }
    texts, labels = message_texts(val), val["label"].to_numpy()
    result: dict[str, Any] = {"n_fit": len(fit), "n_val": len(val)}
    proba = {name: score(texts) for name, score in scorers.items()}
    for name, p in proba.items():
        report = classification_report(labels, p, choose_threshold(labels, p))
        result[name] = {"f1": float(report["f1"]), "roc_auc": float(report["roc_auc"])}
    result["max_abs_probability_difference"] = float(np.abs(proba["sklearn"] - proba["compiled"]).max())
    sample = texts[:timed]
    for batch in (1, BATCH):
        for name, ms in interleaved_ms(scorers, sample, batch).items():
            result[name][f"ms_batch_{batch}"] = ms
    result["median_chars_timed"] = float(np.median([len(text) for text in sample]))
    return result
