"""Simulated labeling: how many labels a model needs when humans label what the policy picks, versus labels
picked at random. The corpus's own labels play the annotators (perfect ones), so the difference between the
two curves is the selection alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from models.labeling.selection import Candidate, QueuePolicy, select_batch
from models.spam.metrics import classification_report

Strategy = Literal["policy", "random"]


class SpamEstimator(Protocol):
    """A spam model over texts, or over row indices of a corpus it knows (`CachedSpamBaseline`)."""

    def fit(self, x: Sequence[Any], y: np.ndarray, /) -> Any: ...
    def predict_proba(self, x: Sequence[Any], /) -> np.ndarray: ...


@dataclass(frozen=True)
class CurvePoint:
    n_labels: int
    f1: float


def simulate(
    pool_texts: Sequence[Any],
    pool_labels: np.ndarray,
    holdout_texts: Sequence[Any],
    holdout_labels: np.ndarray,
    *,
    strategy: Strategy,
    make_model: Callable[[], SpamEstimator],
    sizes: Sequence[int],
    policy: QueuePolicy,
    seed: int,
    threshold: float = 0.5,
    candidates_per_step: int | None = None,
) -> list[CurvePoint]:
    """Label the pool step by step and score each retrained model on the holdout (F1 at `threshold`).

    Starts from `sizes[0]` labels drawn at random (the same draw for both strategies at a given seed); each
    next size adds the difference, chosen by `select_batch` over the model's scores on the unlabelled pool
    ("policy") or uniformly ("random"). `candidates_per_step` scores only a random sample of the unlabelled
    pool per step (cheaper; None scores all of it).
    """
    if list(sizes) != sorted(set(sizes)) or sizes[0] < 2 or sizes[-1] > len(pool_texts):
        raise ValueError(f"sizes must increase, from at least 2 up to the pool size; got {list(sizes)}")
    texts = list(pool_texts)
    rng = np.random.default_rng(seed)
    labelled = [int(i) for i in rng.choice(len(texts), size=sizes[0], replace=False)]
    draws = np.random.default_rng(seed + 1_000_003)  # later draws differ by strategy; the start does not
    curve = []
    for step, size in enumerate(sizes):
        model = make_model().fit([texts[i] for i in labelled], pool_labels[labelled])
        scores = model.predict_proba(list(holdout_texts))[:, 1]
        f1 = float(classification_report(holdout_labels, scores, threshold)["f1"])
        curve.append(CurvePoint(n_labels=size, f1=f1))
        if step + 1 == len(sizes):
            break
        wanted = sizes[step + 1] - size
        unlabelled = np.setdiff1d(np.arange(len(texts)), labelled)
        if strategy == "random":
            labelled += [int(i) for i in draws.choice(unlabelled, size=wanted, replace=False)]
            continue
        if candidates_per_step is not None and len(unlabelled) > candidates_per_step:
            unlabelled = draws.choice(unlabelled, size=candidates_per_step, replace=False)
        pool_scores = model.predict_proba([texts[i] for i in unlabelled])[:, 1]  # (n_unlabelled,)
        candidates = [
            Candidate(key=str(i), score=float(p), threshold=threshold)
            for i, p in zip(unlabelled, pool_scores, strict=True)
        ]
        batch = QueuePolicy(
            batch_size=wanted, random_share=policy.random_share, seed=int(draws.integers(2**31))
        )
        labelled += [int(unlabelled[pick.index]) for pick in select_batch(candidates, batch)]
    return curve


def labels_to_reach(curve: Sequence[CurvePoint], target: float) -> int | None:
    """The fewest labels at which the curve reaches `target` F1 (None: it never does)."""
    return next((point.n_labels for point in curve if point.f1 >= target), None)
