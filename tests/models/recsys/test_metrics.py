"""Ranking metrics against hand-computed values, and RecBole's history masking."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.recsys.base import Recommender
from models.recsys.interactions import IdIndex, interaction_matrix
from models.recsys.metrics import evaluate_ranking, ranking_metrics, top_k


def test_ranking_metrics_match_hand_computation() -> None:
    # k = 5. user a: hits at ranks 1 and 3, |R| = 3
    #   DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.130930
    #   NDCG = 0.703918, recall = 2/3, hit = 1
    # user b: no hit, |R| = 2 -> 0, 0, 0
    # user c: hit at rank 2, |R| = 10 > k, so IDCG sums all 5 slots:
    #   1 + 0.630930 + 0.5 + 0.430677 + 0.386853 = 2.948459; NDCG = 0.630930 / 2.948459 = 0.213986
    #   recall = 1/10, hit = 1
    hits = np.array([[1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=bool)
    result = ranking_metrics(hits, np.array([3, 2, 10]))
    np.testing.assert_allclose(result["ndcg@5"], [0.703918, 0.0, 0.213986], atol=1e-6)
    np.testing.assert_allclose(result["recall@5"], [2 / 3, 0.0, 0.1])
    np.testing.assert_array_equal(result["hit@5"], [1.0, 0.0, 1.0])


def test_ranking_metrics_reject_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="n_relevant"):
        ranking_metrics(np.ones((1, 3), dtype=bool), np.array([2]))  # 3 hits but only 2 relevant items


def test_top_k_is_a_stable_descending_sort() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, size=(50, 80)).astype(float)  # many ties
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(top_k(scores, 7), expected)


class FixedScores(Recommender):
    """Every user gets the same hand-set scores over catalogue [10, 20, 30, 40, 50, 60]."""

    def fit(self, ratings: pd.DataFrame) -> FixedScores:
        self._fit_interactions(ratings, [10, 20, 30, 40, 50, 60])
        return self

    def _score_histories(self, histories: Any) -> np.ndarray:
        return np.tile([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], (histories.shape[0], 1))


def _frame(pairs: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def test_evaluate_ranking_masks_history_like_recbole() -> None:
    train = _frame([(1, 10), (2, 10), (3, 50)])
    valid = _frame([(1, 20)])
    test = _frame([(1, 30), (1, 60), (2, 10), (3, 60), (3, 99)])
    model = FixedScores().fit(train)

    # Testing masks train + valid: user 1 ranks 30, 40 -> hits [1, 0], |R| = 2
    #   NDCG = 1 / (1 + 1/log2(3)) = 0.613147, recall 1/2.
    # User 2's test item 10 is also in train; RecBole masks history minus positives: 10 stays, hits at 1.
    # User 3: 60 is the 5th candidate (50 masked) -> miss; item 99 is outside the catalogue but counts in |R|.
    report = evaluate_ranking(model, train, test, k=2, exclude=[valid])
    per_user = report.per_user.set_index("user_id")
    np.testing.assert_allclose(per_user["ndcg@2"], [0.613147, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(per_user["recall@2"], [0.5, 1.0, 0.0])
    assert per_user["n_relevant"].tolist() == [2, 1, 2]
    assert report.metrics["hit@2"] == pytest.approx(2 / 3)
    assert report.metrics["ndcg@2"] == pytest.approx((0.613147 + 1.0) / 3, abs=1e-6)

    # Validation-style call without `exclude`: item 20 competes again, user 1 ranks 20, 30 -> hit at rank 2.
    no_valid_mask = evaluate_ranking(model, train, test, k=2).per_user.set_index("user_id")
    assert no_valid_mask.loc[1, "ndcg@2"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))


def test_evaluate_ranking_refuses_or_skips_users_the_model_never_saw() -> None:
    model = FixedScores().fit(_frame([(1, 10)]))
    with pytest.raises(ValueError, match="unknown to the model"):
        evaluate_ranking(model, _frame([(1, 10)]), _frame([(7, 20)]))
    mixed = evaluate_ranking(
        model, _frame([(1, 10)]), _frame([(7, 20), (1, 20)]), k=1, skip_unknown_users=True
    )
    assert mixed.per_user["user_id"].tolist() == [1] and mixed.metrics["hit@1"] == 1.0
    nobody = evaluate_ranking(model, _frame([(1, 10)]), _frame([(7, 20)]), k=1, skip_unknown_users=True)
    assert nobody.per_user.empty and np.isnan(nobody.metrics["ndcg@1"])


def test_interaction_matrix_is_binary_and_drops_unknown_ids() -> None:
    frame = _frame([(1, 10), (1, 10), (2, 30), (3, 10), (1, 99)])
    users, items = IdIndex.from_ids([1, 2]), IdIndex.from_ids([10, 20, 30])
    matrix = interaction_matrix(frame, users, items).toarray()
    np.testing.assert_array_equal(
        matrix, [[1, 0, 0], [0, 0, 1]]
    )  # duplicate collapsed; user 3, item 99 dropped
    np.testing.assert_array_equal(items.index([30, 10]), [2, 0])
    with pytest.raises(KeyError, match="99"):
        items.index([10, 99])
