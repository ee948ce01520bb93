"""Most-popular baseline: every user gets the items with the most training interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from models.recsys.base import Recommender

__all__ = ["PopularityRecommender"]


class PopularityRecommender(Recommender):
    """Scores item j by its number of training interactions, the same for every user (no hyper-parameters)."""

    def fit(self, ratings: pd.DataFrame, *, item_ids: ArrayLike | None = None) -> PopularityRecommender:
        """Count interactions per item in ``ratings`` (user_id, item_id)."""
        self._fit_interactions(ratings, item_ids)
        return self

    def _score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        # (items,) -> (batch, items): a broadcast view, copied by the caller only if it writes.
        return np.broadcast_to(self.popularity_.astype(np.float32), (histories.shape[0], len(self.items_)))
