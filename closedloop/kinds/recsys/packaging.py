"""The recommender as an MLflow pyfunc: the estimator with the catalogue's titles, ranking a user from their
current history (fold-in), so one artefact serves anywhere — `mlflow models serve`, the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from closedloop.registry.packaging import log_wrapper

EXAMPLE = pd.DataFrame({"user_id": [1], "k": [10]})


class RecommenderModel(PythonModel):
    """DataFrame(user_id[, k]) -> DataFrame(item_ids, scores, cold_start), one row per user."""

    def __init__(self, estimator: Any, titles: dict[int, str]) -> None:
        self.estimator = estimator
        self.titles = titles

    def recommend(
        self,
        user_id: int,
        k: int,
        *,
        exclude_seen: bool = True,
        history: Iterable[int] = (),
        negatives: Iterable[int] = (),
    ) -> tuple[list[int], list[float], bool]:
        """Top `k` (item ids, scores, cold_start) for a user, ranked from their *current* history: what they
        had in training, plus `history` (items they liked since, e.g. logged interactions), minus
        `negatives` (items they turned down). With `exclude_seen` no item of either kind comes back.
        `cold_start` means there was no history at all, so the popular items were served."""
        estimator = self.estimator
        rows, known = estimator.users_.lookup(np.asarray([user_id]))
        trained: set[int] = set()
        if known[0]:
            columns = estimator.interactions_[int(rows[0])].indices
            trained = {int(i) for i in estimator.items_.ids[columns]}
        turned_down = set(negatives)
        liked = (trained | set(history)) - turned_down
        matrix = estimator.history_matrix([liked])  # (1, items)
        exclude = estimator.history_matrix([liked | turned_down | trained]) if exclude_seen else None
        ids, scores = estimator.recommend_histories(matrix, k, exclude=exclude)
        keep = ids[0] >= 0
        return [int(i) for i in ids[0][keep]], [float(s) for s in scores[0][keep]], matrix.nnz == 0

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        ks = model_input["k"] if "k" in model_input.columns else pd.Series([10] * len(model_input))
        rows = [self.recommend(int(u), int(k)) for u, k in zip(model_input["user_id"], ks, strict=True)]
        return pd.DataFrame(
            {
                "item_ids": [r[0] for r in rows],
                "scores": [r[1] for r in rows],
                "cold_start": [r[2] for r in rows],
            }
        )


def log_recommender(
    estimator: Any, titles: dict[int, str], *, registered_name: str | None
) -> mlflow.models.model.ModelInfo:
    """Log (and optionally register) a recommender with its catalogue titles under the active run."""
    return log_wrapper(RecommenderModel(estimator, titles), example=EXAMPLE, registered_name=registered_name)
