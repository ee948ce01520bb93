"""The spam filter's learning curve: F1 on the fixed holdout of the base period against the number of
labelled messages drawn (stratified, nested per seed) from the rest of it, as retraining cuts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop.kinds.curves import Curve, CurvePool
from closedloop.kinds.spam.config import CONFIG
from closedloop.kinds.spam.corpus import load_spam
from closedloop.kinds.spam.snapshot import fixed_holdout
from models.spam.corpus import message_texts

# 150 messages still leave 30 (about 9 spam) to choose a threshold on.
MIN_SIZE = 150


@dataclass(frozen=True)
class MessagePool(CurvePool):
    """The base period's messages (the pool) and the fixed holdout, as texts and 0/1 labels."""

    texts: list[str]
    labels: np.ndarray  # (messages,) 1 spam / 0 ham
    holdout_texts: list[str]
    holdout_labels: np.ndarray  # (holdout,)
    estimator: str = "baseline"

    @property
    def n_max(self) -> int:
        return len(self.labels)

    @property
    def n_min(self) -> int:
        return min(MIN_SIZE, self.n_max // 4)

    def score(self, size: int, seed: int) -> float:
        from models.curves import spam_point  # scikit-learn and torch: only when a point is measured

        return spam_point(
            texts=self.texts,
            labels=self.labels,
            holdout_texts=self.holdout_texts,
            holdout_labels=self.holdout_labels,
            size=size,
            seed=seed,
            model=self.estimator,
        )


def message_pool(settings: Any, estimator: str) -> MessagePool:
    """The training pool and the fixed holdout, exactly as retraining cuts them (same seed, same split)."""
    base, holdout = fixed_holdout(load_spam(settings), settings)
    return MessagePool(
        texts=message_texts(base),
        labels=base["label"].to_numpy(dtype=np.int64),
        holdout_texts=message_texts(holdout),
        holdout_labels=holdout["label"].to_numpy(dtype=np.int64),
        estimator=estimator,
    )


class SpamCurve:
    """Learning-curve hook: the fast baseline by default, the torch model on request."""

    def curve(self) -> Curve:
        return Curve(metric="f1", estimators=CONFIG.candidates, pool=message_pool)
