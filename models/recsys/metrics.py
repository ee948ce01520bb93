"""Full-ranking top-k evaluation with RecBole's definitions (recbole/evaluator/metrics.py, ``full`` mode).

For each user with held-out items, every catalogue item is scored, the user's *history* is masked, and the
top k of the rest are compared with the held-out set R(u):

    hit@k    = 1[any of the top k is in R(u)]
    recall@k = |top k  ∩ R(u)| / |R(u)|
    ndcg@k   = sum_{r <= k, item r in R(u)} 1/log2(r+1) / sum_{r=1}^{min(|R(u)|, k)} 1/log2(r+1)  (0/1 gain)

each averaged over users with at least one held-out item. History follows RecBole's FullSortEvalDataLoader:
``history = used_ids[phase] - positives`` where the sampler's ``used_ids`` accumulate phase by phase
(recbole/sampler/sampler.py ``Sampler.get_used_ids``), so validation masks train and testing masks train +
valid. Pass the valid frame in ``exclude`` when evaluating on test to get the latter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from models.recsys.interactions import IdIndex, interaction_matrix

K = 10  # the ranking cutoff of every figure: NDCG@10, recall@10, ...

__all__ = [
    "HistoryScorer",
    "RankingReport",
    "Scorer",
    "evaluate_from_histories",
    "evaluate_ranking",
    "ranking_metrics",
    "top_k",
]


class Scorer(Protocol):
    """What evaluation needs from a fitted recommender."""

    users_: IdIndex
    items_: IdIndex

    def score_users(self, user_ids: ArrayLike) -> np.ndarray:
        """(n_users,) raw ids -> (n_users, n_items) scores, columns in ``items_`` order."""
        ...


class HistoryScorer(Protocol):
    """What fold-in evaluation needs: scores from any history, not only from the model's own training rows."""

    items_: IdIndex

    def score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """(n, n_items) binary histories -> (n, n_items) scores, columns in ``items_`` order."""
        ...


@dataclass(frozen=True)
class RankingReport:
    """Mean metrics and the per-user values they average (for paired bootstraps over users)."""

    metrics: dict[str, float]  # {"ndcg@10": ..., "recall@10": ..., "hit@10": ...}
    per_user: pd.DataFrame  # user_id, n_relevant, ndcg@k, recall@k, hit@k; one row per evaluated user


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """(users, items) scores -> (users, min(k, items)) item columns, best first; ties go to the lower column.

    Same result as a stable full argsort, in O(items) per user: partition to find the k-th largest score,
    keep everything above it plus the lowest-column ties, then sort only those k. Deterministic tie-breaking
    matters for popularity counts and masked (-inf) items. NaN scores rank last.
    """
    scores = np.where(np.isnan(scores), -np.inf, scores)
    n_items = scores.shape[1]
    k = min(k, n_items)
    if n_items <= 4 * k:  # tiny catalogue: the full sort is as cheap
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (users, 1) k-th largest score
    above = scores > kth  # (users, items) strictly better: always in
    ties = scores == kth
    need = k - above.sum(axis=1, keepdims=True)  # (users, 1) tie slots left, filled lowest column first
    cols = np.nonzero(above | (ties & (np.cumsum(ties, axis=1) <= need)))[1].reshape(-1, k)  # ascending cols
    order = np.argsort(-np.take_along_axis(scores, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


def ranking_metrics(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """(users, k) hit indicators of a ranked list + (users,) |R(u)| -> per-user ndcg/recall/hit at k."""
    hits = np.asarray(hits, dtype=bool)
    n_relevant = np.asarray(n_relevant, dtype=np.int64)
    if hits.ndim != 2 or n_relevant.shape != (hits.shape[0],):
        raise ValueError(
            f"hits must be (users, k) and n_relevant (users,), got {hits.shape}, {n_relevant.shape}"
        )
    if (n_relevant < 1).any() or (hits.sum(axis=1) > n_relevant).any():
        raise ValueError("every user needs n_relevant >= 1 and no more hits than relevant items")
    k = hits.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))  # (k,) 1/log2(rank + 1) for ranks 1..k
    dcg = hits @ discount  # (users,)
    ideal = np.cumsum(discount)[np.minimum(n_relevant, k) - 1]  # (users,) IDCG over min(|R(u)|, k) slots
    n_hits = hits.sum(axis=1)
    return {
        f"ndcg@{k}": dcg / ideal,
        f"recall@{k}": n_hits / n_relevant,
        f"hit@{k}": (n_hits > 0).astype(np.float64),
    }


def evaluate_ranking(
    model: Scorer,
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    k: int = 10,
    exclude: Sequence[pd.DataFrame] = (),
    skip_unknown_users: bool = False,
    batch_size: int = 1024,
) -> RankingReport:
    """Rank all of ``model.items_`` for every user in ``test``, masking their ``train`` (+ ``exclude``) items.

    Held-out items the model cannot score (not in its catalogue) still count in |R(u)|, so they cost recall
    instead of silently vanishing. A test user unknown to the model raises ValueError (the split guarantees
    there are none) unless ``skip_unknown_users``; no users at all gives NaN metrics and an empty per_user.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    pairs = test[["user_id", "item_id"]].drop_duplicates()
    if skip_unknown_users:
        pairs = pairs[model.users_.contains(pairs["user_id"].to_numpy())]
    users = IdIndex.from_ids(pairs["user_id"].to_numpy())
    names = [f"ndcg@{k}", f"recall@{k}", f"hit@{k}"]
    if len(users) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in ["user_id", "n_relevant", *names]})
        return RankingReport(metrics=dict.fromkeys(names, float("nan")), per_user=empty)
    unknown = ~model.users_.contains(users.ids)
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} test user(s) unknown to the model, e.g. {int(users.ids[unknown][0])}"
        )
    n_relevant = np.bincount(users.index(pairs["user_id"].to_numpy()), minlength=len(users))  # (users,)

    # (users, items) CSR matrices over the evaluated users only; history minus positives as RecBole does.
    relevant = interaction_matrix(pairs, users, model.items_)
    seen = pd.concat([frame[["user_id", "item_id"]] for frame in (train, *exclude)], ignore_index=True)
    history = interaction_matrix(seen, users, model.items_)
    history = (history - history.multiply(relevant)).tocsr()
    history.eliminate_zeros()

    columns: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(users), batch_size):
        rows = slice(start, start + batch_size)
        scores = np.array(model.score_users(users.ids[rows]), dtype=np.float64)  # (batch, items), a copy
        if scores.shape != (len(users.ids[rows]), len(model.items_)):
            raise ValueError(f"score_users returned {scores.shape}, expected (batch, {len(model.items_)})")
        scores[history[rows].toarray() > 0] = -np.inf
        ranked = top_k(scores, k)  # (batch, k)
        hits = np.take_along_axis(relevant[rows].toarray() > 0, ranked, axis=1)
        if hits.shape[1] < k:  # catalogue smaller than k: the missing slots are misses
            hits = np.pad(hits, ((0, 0), (0, k - hits.shape[1])))
        for name, values in ranking_metrics(hits, n_relevant[rows]).items():
            columns.setdefault(name, []).append(values)

    per_user = pd.DataFrame({"user_id": users.ids, "n_relevant": n_relevant})
    for name, parts in columns.items():
        per_user[name] = np.concatenate(parts)
    metrics = {name: float(per_user[name].mean()) for name in columns}
    return RankingReport(metrics=metrics, per_user=per_user)


def evaluate_from_histories(
    model: HistoryScorer,
    *,
    history: pd.DataFrame,
    relevant: pd.DataFrame,
    seen: pd.DataFrame,
    k: int = 10,
    batch_size: int = 1024,
) -> RankingReport:
    """Rank every catalogue item for each user in ``relevant`` from the ``history`` pairs given here (fold-in:
    the same history for every model compared, whatever each one trained on), masking their ``seen`` items,
    and score the top k against their ``relevant`` items. Users without history get popular items.

    This is how the gate compares a champion and a challenger on a window of new interactions: both rank a
    user from what that user did before the window, and are scored on what they did in it.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    pairs = relevant[["user_id", "item_id"]].drop_duplicates()
    users = IdIndex.from_ids(pairs["user_id"].to_numpy())
    names = [f"ndcg@{k}", f"recall@{k}", f"hit@{k}"]
    if len(users) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in ["user_id", "n_relevant", *names]})
        return RankingReport(metrics=dict.fromkeys(names, float("nan")), per_user=empty)
    n_relevant = np.bincount(users.index(pairs["user_id"].to_numpy()), minlength=len(users))  # (users,)
    inputs = interaction_matrix(history, users, model.items_)  # (users, items) what each user liked
    masked = interaction_matrix(pd.concat([history, seen]), users, model.items_)  # never recommended again
    hits_of = interaction_matrix(pairs, users, model.items_)
    columns: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(users), batch_size):
        rows = slice(start, start + batch_size)
        scores = np.array(model.score_histories(inputs[rows]), dtype=np.float64)  # (batch, items)
        scores[masked[rows].toarray() > 0] = -np.inf
        ranked = top_k(scores, k)  # (batch, k)
        hits = np.take_along_axis(hits_of[rows].toarray() > 0, ranked, axis=1)
        hits &= np.isfinite(np.take_along_axis(scores, ranked, axis=1))  # a masked slot is no hit
        if hits.shape[1] < k:
            hits = np.pad(hits, ((0, 0), (0, k - hits.shape[1])))
        for name, values in ranking_metrics(hits, n_relevant[rows]).items():
            columns.setdefault(name, []).append(values)
    per_user = pd.DataFrame({"user_id": users.ids, "n_relevant": n_relevant})
    for name, parts in columns.items():
        per_user[name] = np.concatenate(parts)
    return RankingReport(metrics={n: float(per_user[n].mean()) for n in columns}, per_user=per_user)
