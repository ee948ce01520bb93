"""What every recommender shares: id indices, the training matrix, scoring by raw id, and top-k serving.

A subclass implements ``fit`` (calling :meth:`Recommender._fit_interactions` first) and
``_score_histories``, which scores any binary history matrix: a user's training row, or a history folded in
at request time. Every model here scores from the history vector alone, so a new rating counts at the very
next request, with no retrain, and a user who arrived after training is ranked from what they did.

The scikit-learn contract (``__init__`` only stores parameters, learned attributes end in ``_``) comes from
``BaseEstimator``, so ``get_params`` / ``clone`` work for hyper-parameter search.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from models.recsys.interactions import IdIndex, interaction_matrix
from models.recsys.metrics import top_k

__all__ = ["Recommender"]

logger = logging.getLogger(__name__)


class Recommender(BaseEstimator, ABC):
    """Base class; fitted: ``users_``, ``items_`` (IdIndex), ``interactions_`` (CSR), ``popularity_``."""

    users_: IdIndex
    items_: IdIndex
    interactions_: sp.csr_matrix
    popularity_: np.ndarray

    def _fit_interactions(self, ratings: pd.DataFrame, item_ids: ArrayLike | None) -> sp.csr_matrix:
        """Validate ``ratings`` (user_id, item_id), index users and the catalogue, store the binary matrix.

        ``item_ids`` is the catalogue to rank; items in ``ratings`` always join it. Passing every item lets
        the model score items nobody rated in training, as RecBole's full ranking does.
        """
        if not isinstance(ratings, pd.DataFrame) or not {"user_id", "item_id"} <= set(ratings.columns):
            raise ValueError("ratings must be a DataFrame with user_id and item_id columns")
        if ratings.empty:
            raise ValueError("cannot fit a recommender on zero ratings")
        self.users_ = IdIndex.from_ids(ratings["user_id"].to_numpy())
        rated = ratings["item_id"].to_numpy()
        # A rated item is in the catalogue by definition (feedback may name items the table lacks).
        self.items_ = IdIndex.from_ids(rated if item_ids is None else np.union1d(np.asarray(item_ids), rated))
        self.interactions_ = interaction_matrix(ratings, self.users_, self.items_)
        self.popularity_ = np.asarray(self.interactions_.sum(axis=0)).ravel()  # (items,) training counts
        return self.interactions_

    @abstractmethod
    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """(batch, n_items) binary histories -> (batch, n_items) scores; higher is better."""

    def _score_rows(self, rows: np.ndarray) -> np.ndarray:
        """(batch,) user row indices -> (batch, n_items) scores from each user's training history."""
        return self._score_histories(self.interactions_[rows])

    def score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """(n, n_items) binary histories -> (n, n_items) float32 scores; an empty history gets popularity."""
        check_is_fitted(self, "interactions_")
        scores = np.empty(histories.shape, dtype=np.float32)
        has_history = histories.getnnz(axis=1) > 0
        if has_history.any():
            scores[has_history] = self._score_histories(histories[has_history])
        if not has_history.all():
            scores[~has_history] = self.popularity_
        return scores

    def history_matrix(self, item_lists: Sequence[Iterable[int]]) -> sp.csr_matrix:
        """(n, n_items) binary CSR matrix: row i marks the raw item ids of ``item_lists[i]``; ids outside the
        fitted catalogue are dropped (the model has no column for them)."""
        check_is_fitted(self, "interactions_")
        rows, cols = [], []
        for row, items in enumerate(item_lists):
            found, known = self.items_.lookup(np.fromiter(items, dtype=np.int64))
            cols.append(found[known])
            rows.append(np.full(int(known.sum()), row, dtype=np.int64))
        indices = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        data = np.ones(indices.shape[0], dtype=np.float32)
        rows_all = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        shape = (len(item_lists), len(self.items_))
        matrix = sp.csr_matrix((data, (rows_all, indices)), shape=shape, dtype=np.float32)
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix

    def recommend_histories(
        self, histories: sp.csr_matrix, k: int = 10, *, exclude: sp.csr_matrix | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` raw item ids and scores, ``(n, k)`` each, for ``n`` users given by their histories (see
        ``history_matrix``). ``exclude`` marks items never to recommend (what each user has seen). A row with
        an empty history gets the most popular items. Padding as in ``recommend``."""
        check_is_fitted(self, "interactions_")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        scores = self.score_histories(histories).astype(np.float64)  # (n, items)
        if exclude is not None and exclude.nnz:
            scores[exclude.toarray() > 0] = -np.inf
        return self._top(scores, k)

    def score_users(self, user_ids: ArrayLike) -> np.ndarray:
        """(n,) raw user ids -> (n, n_items) float32 scores, ``items_`` order; unknown id: UnknownIdError."""
        check_is_fitted(self, "interactions_")
        rows = self.users_.index(np.atleast_1d(np.asarray(user_ids)))
        return np.asarray(self._score_rows(rows), dtype=np.float32)

    def recommend(
        self, user_ids: int | ArrayLike, k: int = 10, *, exclude_seen: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` raw item ids and their scores, best first.

        A scalar user gives ``(k,)`` arrays, a sequence ``(n, k)``. ``exclude_seen`` drops the user's training
        items. A user unseen in training (cold start) gets the most popular items, scored by training count.
        Fewer than ``k`` candidates left: the tail is padded with item id -1 and score -inf.
        """
        check_is_fitted(self, "interactions_")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        scalar = np.ndim(user_ids) == 0
        raw = np.atleast_1d(np.asarray(user_ids, dtype=np.int64))
        rows, known = self.users_.lookup(raw)
        scores = np.empty((raw.shape[0], len(self.items_)), dtype=np.float64)  # (n, items)
        if known.any():
            scores[known] = self._score_rows(rows[known])
        if not known.all():
            logger.info("recommend: %d cold-start user(s) get popular items", int((~known).sum()))
            scores[~known] = self.popularity_
        if exclude_seen and known.any():
            seen = self.interactions_[rows[known]].toarray() > 0  # (known, items)
            block = scores[known]
            block[seen] = -np.inf
            scores[known] = block
        top_ids, top_scores = self._top(scores, k)
        return (top_ids[0], top_scores[0]) if scalar else (top_ids, top_scores)

    def _top(self, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(n, items) scores -> (n, k) raw ids and scores, best first, padded with -1 / -inf."""
        ranked = top_k(scores, k)  # (n, min(k, items))
        top_scores = np.take_along_axis(scores, ranked, axis=1)
        top_ids = np.where(np.isfinite(top_scores), self.items_.ids[ranked], -1)
        if ranked.shape[1] < k:
            pad = k - ranked.shape[1]
            top_ids = np.pad(top_ids, ((0, 0), (0, pad)), constant_values=-1)
            top_scores = np.pad(top_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        return top_ids, top_scores
