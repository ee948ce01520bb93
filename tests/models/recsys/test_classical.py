"""Popularity and EASE: behaviour on data whose right answer is obvious, plus the serving contract."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from models.recsys.ease import EASERecommender, ease_weights
from models.recsys.interactions import UnknownIdError
from models.recsys.popularity import PopularityRecommender


def _frame(pairs: list[tuple[int, int]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["user_id", "item_id"])


def _two_tastes() -> pd.DataFrame:
    # Users 1-20 watch {1, 2, 3}, users 21-30 watch {4, 5, 6}, and everyone watches 7 (the most popular).
    pairs = [(u, i) for u in range(1, 21) for i in (1, 2, 3, 7)]
    pairs += [(u, i) for u in range(21, 31) for i in (4, 5, 6, 7)]
    pairs += [(100, 4), (100, 5), (101, 1)]  # probes: 100 has half of taste B, 101 a third of taste A
    return _frame(pairs)


def test_popularity_ranks_by_count_and_excludes_seen() -> None:
    model = PopularityRecommender().fit(_two_tastes(), item_ids=[1, 2, 3, 4, 5, 6, 7, 8])
    ids, scores = model.recommend(999, k=4)  # cold-start user: plain popularity
    assert ids.tolist() == [7, 1, 2, 3]  # 30 watchers, 21 (with probe 101), then a 20-20 tie broken by id
    np.testing.assert_array_equal(scores, [30, 21, 20, 20])
    ids, _ = model.recommend(100, k=3)  # 4 and 5 are seen; 7 first, then taste A's most common
    assert ids.tolist() == [7, 1, 2]
    assert model.score_users([1, 21]).shape == (2, 8)


def test_ease_recovers_co_occurrence() -> None:
    model = EASERecommender(l2=1.0).fit(_two_tastes())
    ids, _ = model.recommend(100, k=1)
    assert ids.tolist() == [6]  # the missing member of taste B, not the globally popular item 7
    top_a, _ = model.recommend(101, k=2)
    assert set(top_a.tolist()) == {2, 3}
    weights = model.weights_
    assert np.all(np.diag(weights) == 0)  # EASE's constraint: an item may not predict itself
    j = model.items_.index([1, 2, 4])
    assert weights[j[0], j[1]] > 0.1 > abs(weights[j[0], j[2]])  # 1 -> 2 strong, 1 -> 4 nothing


def test_ease_weights_validate_and_match_closed_form() -> None:
    gram = np.array([[3.0, 2.0], [2.0, 4.0]])
    p = np.linalg.inv(gram + 10 * np.eye(2))
    expected = np.array([[0.0, -p[0, 1] / p[1, 1]], [-p[1, 0] / p[0, 0], 0.0]])
    np.testing.assert_allclose(ease_weights(gram, 10.0), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="l2"):
        ease_weights(gram, 0.0)


def test_recommend_shapes_padding_and_errors() -> None:
    model = EASERecommender(l2=1.0).fit(_frame([(1, 1), (1, 2), (2, 2), (2, 3)]))
    ids, scores = model.recommend([1, 2], k=2)
    assert ids.shape == scores.shape == (2, 2)
    assert ids[0, 0] == 3 and ids[0, 1] == -1 and np.isneginf(scores[0, 1])  # only one unseen item left
    with pytest.raises(UnknownIdError):
        model.score_users([42])
    with pytest.raises(NotFittedError):
        EASERecommender().recommend(1)
    with pytest.raises(ValueError, match="user_id and item_id"):
        PopularityRecommender().fit(pd.DataFrame({"user": [1], "item_id": [2]}))
    widened = PopularityRecommender().fit(_frame([(1, 5)]), item_ids=[1, 2])
    assert widened.items_.ids.tolist() == [1, 2, 5]  # a rated item joins the catalogue


def test_fitted_models_pickle_and_clone() -> None:
    ratings = _two_tastes()
    for model in (PopularityRecommender().fit(ratings), EASERecommender(l2=5.0).fit(ratings)):
        restored = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(restored.score_users([1, 21]), model.score_users([1, 21]))
        fresh = clone(model)
        assert fresh.get_params() == model.get_params() and not hasattr(fresh, "interactions_")
