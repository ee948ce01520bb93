"""The recommender benchmark protocol, comparable with RecBole's ml-100k general-recommendation results.

RecBole's setting: every rating is a positive; per-user random split 8:1:1 (``RO``, ``RS``, group_by user);
full ranking over the catalogue; validation masks train items, test masks train + valid items; metrics at 10
averaged over test users; the model is trained on train, selected on valid and *not* refitted before testing.
This module runs exactly that for one model name, with hyper-parameters chosen on valid only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from models.recsys.base import Recommender
from models.recsys.ease import EASERecommender
from models.recsys.ensemble import BlendRecommender
from models.recsys.metrics import K, evaluate_ranking
from models.recsys.movielens import MovieLens
from models.recsys.neural import AutoencoderRecommender
from models.recsys.popularity import PopularityRecommender
from models.recsys.splits import RatingSplit, split_ratings

__all__ = [
    "EASE_BETA_GRID",
    "EASE_L2_GRID",
    "MODEL_NAMES",
    "RecsysEvaluation",
    "evaluate_recsys",
    "fit_recommender",
]

logger = logging.getLogger(__name__)

# CLI names. "knn" is the strong classical item-item model: EASE^R, a learned dense item-item weight matrix
# (item-kNN with regression weights instead of cosine similarities). "ensemble" blends "knn" and "torch".
MODEL_NAMES: tuple[str, ...] = ("popularity", "knn", "torch", "ensemble")
# λ candidates for EASE, roughly log-spaced; each costs one 1,682² inverse (~0.6 s). On ml-100k, valid picked
# 200-500 on each of seeds 0-7 (50 and 1200 were never best on seeds 0-1), so the grid stops at 100 and 800.
EASE_L2_GRID: tuple[float, ...] = (100.0, 200.0, 300.0, 500.0, 800.0)
# Popularity exponents β (scores / count^β); scoring-time only, so each costs a valid pass, not an inverse.
EASE_BETA_GRID: tuple[float, ...] = (0.0, 0.1, 0.2)


@dataclass(frozen=True)
class RecsysEvaluation:
    """Test metrics of one model, the fitted model, and what was selected on valid."""

    metrics: dict[str, float]  # ndcg@10, recall@10, hit@10 (test); n_train, n_valid, n_test, n_users, n_items
    model: Recommender  # fitted on train only (RecBole does not refit); picklable, predicts on CPU
    per_user: pd.DataFrame  # test: user_id, n_relevant, ndcg@10, recall@10, hit@10 (for paired bootstraps)
    selection: dict[str, float] = field(default_factory=dict)  # chosen hyper-parameters and valid ndcg@10
    seconds: float = 0.0  # wall time of split + selection + test evaluation


def _valid_ndcg(model: Recommender, split: RatingSplit) -> float:
    # Valid users the model cannot rank (no training history left upstream) are skipped, not fatal.
    report = evaluate_ranking(model, split.train, split.valid, k=K, skip_unknown_users=True)
    return report.metrics[f"ndcg@{K}"]


def _select_ease(split: RatingSplit, catalogue: np.ndarray) -> tuple[Recommender, dict[str, float]]:
    best: tuple[float, EASERecommender] | None = None
    for l2 in EASE_L2_GRID:
        fitted = EASERecommender(l2=l2).fit(split.train, item_ids=catalogue)
        for beta in EASE_BETA_GRID:
            candidate = fitted.with_exponent(beta)
            score = _valid_ndcg(candidate, split)
            logger.info("EASE l2=%g beta=%g: valid ndcg@%d %.4f", l2, beta, K, score)
            if best is None or score > best[0]:
                best = (score, candidate)
    assert best is not None  # the grids are non-empty constants
    model = best[1]
    selection = {"l2": float(model.l2), "popularity_exponent": float(model.popularity_exponent)}
    return model, {**selection, f"valid_ndcg@{K}": best[0]}


def fit_recommender(
    name: str,
    *,
    split: RatingSplit,
    catalogue: ArrayLike | None = None,
    seed: int = 0,
    progress: bool | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
) -> tuple[Recommender, dict[str, float]]:
    """Fit model ``name`` on ``split.train`` and choose its hyper-parameters on ``split.valid`` only.

    Returns the fitted estimator (trained on train; not refitted, as in RecBole) and the selection record:
    the chosen hyper-parameters plus ``valid_ndcg@10``. ``split.test`` is not touched. ``catalogue`` is the
    item ids to rank (default: those in train). ``checkpoint_dir`` / ``resume`` apply to the Mult-DAE
    ("torch", and the torch half of "ensemble").
    """
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown recommender {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    items = np.unique(split.train["item_id"].to_numpy()) if catalogue is None else np.asarray(catalogue)
    if name == "popularity":
        model: Recommender = PopularityRecommender().fit(split.train, item_ids=items)
        return model, {f"valid_ndcg@{K}": _valid_ndcg(model, split)}
    if name == "knn":
        return _select_ease(split, items)
    # Epochs are the selected hyper-parameter: early stopping on valid NDCG@10 inside the shared loop.
    dae = AutoencoderRecommender(seed=seed, progress=progress, checkpoint_dir=checkpoint_dir, resume=resume)
    dae.fit(split.train, item_ids=items, valid=split.valid)
    history = dae.history_
    dae_selection = {"epochs": float(history.best_epoch + 1), f"valid_ndcg@{K}": float(history.best_score)}
    if name == "torch":
        return dae, dae_selection
    # "ensemble": each member selected on valid as above, then the blend weight on the same valid frame.
    ease, ease_selection = _select_ease(split, items)
    blend = BlendRecommender(ease, dae, prefit=True).fit(split.train, item_ids=items, valid=split.valid)
    return blend, {
        "l2": ease_selection["l2"],
        "popularity_exponent": ease_selection["popularity_exponent"],
        "epochs": dae_selection["epochs"],
        "blend_weight": blend.weight_,
        f"valid_ndcg@{K}": blend.valid_scores_[blend.weight_],
    }


def evaluate_recsys(
    ml: MovieLens,
    *,
    model: str,
    seed: int = 0,
    progress: bool | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
) -> RecsysEvaluation:
    """Split ``ml.ratings`` 8:1:1 per user with ``seed``, select ``model`` on valid, report it on test.

    ``model`` is one of ``MODEL_NAMES``: "popularity", "knn" (EASE^R, λ and β chosen on valid), "torch"
    (Mult-DAE, epochs chosen on valid) or "ensemble" (their score blend, weight chosen on valid).
    ``progress`` is passed to the training loop's progress bar (None: only on a terminal);
    ``checkpoint_dir`` / ``resume`` to its checkpointing (Mult-DAE only).
    """
    if model not in MODEL_NAMES:
        raise ValueError(f"unknown recommender {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    start = time.perf_counter()
    split = split_ratings(ml.ratings, seed=seed)
    # Rank the whole catalogue, as RecBole does, including items nobody rated in train.
    catalogue = np.union1d(ml.items["item_id"].to_numpy(), ml.ratings["item_id"].to_numpy())
    fitted, selection = fit_recommender(
        model, split=split, catalogue=catalogue, seed=seed, progress=progress,
        checkpoint_dir=checkpoint_dir, resume=resume,
    )  # fmt: skip

    report = evaluate_ranking(fitted, split.train, split.test, k=K, exclude=[split.valid])
    metrics = dict(report.metrics)
    metrics.update(
        n_train=float(len(split.train)),
        n_valid=float(len(split.valid)),
        n_test=float(len(split.test)),
        n_users=float(len(report.per_user)),
        n_items=float(len(catalogue)),
    )
    seconds = time.perf_counter() - start
    logger.info(
        "recsys %s seed=%d: test ndcg@%d %.4f recall@%d %.4f hit@%d %.4f (%.1fs)",
        model, seed, K, metrics[f"ndcg@{K}"], K, metrics[f"recall@{K}"], K, metrics[f"hit@{K}"], seconds,
    )  # fmt: skip
    return RecsysEvaluation(
        metrics=metrics, model=fitted, per_user=report.per_user, selection=selection, seconds=seconds
    )
