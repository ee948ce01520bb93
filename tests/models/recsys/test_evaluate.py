"""The benchmark protocol end to end on a small structured catalogue."""

from __future__ import annotations

import pandas as pd
import pytest

from models.recsys.ease import EASERecommender
from models.recsys.ensemble import BlendRecommender
from models.recsys.evaluate import EASE_BETA_GRID, EASE_L2_GRID, MODEL_NAMES, evaluate_recsys, fit_recommender
from models.recsys.movielens import MovieLens
from models.recsys.neural import AutoencoderRecommender
from models.recsys.splits import RatingSplit, split_ratings
from tests.models.recsys.conftest import block_ratings


@pytest.fixture(scope="module")
def catalogue() -> MovieLens:
    ratings = block_ratings(seed=2)
    item_ids = sorted({*ratings["item_id"], 999})  # item 999: in the catalogue, never rated
    items = pd.DataFrame(
        {"item_id": item_ids, "title": [f"Movie {i}" for i in item_ids], "year": 1995, "genres": "Drama"}
    ).astype({"item_id": "int32", "year": "Int16"})
    users = pd.DataFrame({"user_id": sorted(ratings["user_id"].unique())}).astype("int32")
    return MovieLens(
        ratings=ratings, items=items, users=users.assign(age=30, gender="F", occupation="x", zip_code="0")
    )


def test_unknown_model_name_lists_the_choices(catalogue: MovieLens) -> None:
    with pytest.raises(ValueError, match="popularity, knn, torch"):
        evaluate_recsys(catalogue, model="bpr")


def test_all_models_report_the_protocol(catalogue: MovieLens) -> None:
    results = {name: evaluate_recsys(catalogue, model=name, seed=0, progress=False) for name in MODEL_NAMES}
    for result in results.values():
        m = result.metrics
        assert m["n_train"] + m["n_valid"] + m["n_test"] == len(catalogue.ratings)
        assert m["n_users"] == len(result.per_user) == catalogue.ratings["user_id"].nunique()
        assert m["n_items"] == len(catalogue.items)  # the unrated item is still ranked
        assert 0.0 <= m["recall@10"] <= m["hit@10"] <= 1.0
        assert m["ndcg@10"] == pytest.approx(result.per_user["ndcg@10"].mean())
        assert 0.0 <= result.selection["valid_ndcg@10"] <= 1.0
    ndcg = {name: r.metrics["ndcg@10"] for name, r in results.items()}
    assert ndcg["knn"] > ndcg["popularity"] + 0.2, ndcg
    assert ndcg["torch"] > ndcg["popularity"] + 0.2, ndcg
    assert isinstance(results["knn"].model, EASERecommender)
    assert results["knn"].selection["l2"] in EASE_L2_GRID
    assert isinstance(results["torch"].model, AutoencoderRecommender)
    assert results["torch"].selection["epochs"] >= 1
    assert ndcg["ensemble"] > ndcg["popularity"] + 0.2, ndcg
    blend = results["ensemble"].model
    assert isinstance(blend, BlendRecommender) and blend.prefit
    assert results["ensemble"].selection["blend_weight"] == blend.weight_ in blend.weights
    assert results["ensemble"].selection["l2"] == blend.first_.l2


def test_same_seed_same_result(catalogue: MovieLens) -> None:
    a = evaluate_recsys(catalogue, model="knn", seed=5)
    b = evaluate_recsys(catalogue, model="knn", seed=5)
    pd.testing.assert_frame_equal(a.per_user, b.per_user)
    assert a.metrics == b.metrics


def test_fit_recommender_selects_on_valid_without_reading_test(catalogue: MovieLens) -> None:
    split = split_ratings(catalogue.ratings, seed=0)
    # A test frame the selection must never look at: reading it would fail on the missing columns.
    blind = RatingSplit(train=split.train, valid=split.valid, test=pd.DataFrame())
    model, selection = fit_recommender("knn", split=blind, catalogue=catalogue.items["item_id"], seed=0)
    assert isinstance(model, EASERecommender) and selection["l2"] == model.l2
    assert selection["popularity_exponent"] == model.popularity_exponent in EASE_BETA_GRID
    assert 999 in model.items_.ids  # catalogue items nobody rated are still ranked
    with pytest.raises(ValueError, match="choose one of popularity, knn, torch"):
        fit_recommender("ease", split=blind)
