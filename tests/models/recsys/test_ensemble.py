"""The EASE + Mult-DAE blend: it learns structure, picks its weight on valid only, pickles, and serves."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

from models.recsys.ease import EASERecommender
from models.recsys.ensemble import BlendRecommender, standardise_rows
from models.recsys.metrics import evaluate_ranking
from models.recsys.neural import AutoencoderConfig, AutoencoderRecommender
from models.recsys.popularity import PopularityRecommender
from models.recsys.splits import RatingSplit, split_ratings
from tests.models.recsys.conftest import block_ratings

SMALL = AutoencoderConfig(hidden=32, batch_size=16, max_epochs=8, lr=1e-2, patience=0, device="cpu")


@pytest.fixture(scope="module")
def blocks() -> RatingSplit:
    return split_ratings(block_ratings(seed=3), seed=0)


@pytest.fixture(scope="module")
def blend(blocks: RatingSplit) -> BlendRecommender:
    members = (EASERecommender(l2=10.0), AutoencoderRecommender(SMALL, seed=0, progress=False))
    return BlendRecommender(*members, weights=(0.0, 0.5, 1.0)).fit(blocks.train, valid=blocks.valid)


def test_blend_beats_popularity_and_keeps_the_valid_best_weight(
    blocks: RatingSplit, blend: BlendRecommender
) -> None:
    assert isinstance(blend.first_, EASERecommender) and blend.first is not blend.first_  # fitted a clone
    assert set(blend.valid_scores_) == {0.0, 0.5, 1.0}
    assert blend.valid_scores_[blend.weight_] == max(blend.valid_scores_.values())
    popular = PopularityRecommender().fit(blocks.train)
    test = {m: evaluate_ranking(m, blocks.train, blocks.test, exclude=[blocks.valid]).metrics["ndcg@10"]
            for m in (blend, popular)}  # fmt: skip
    assert test[blend] > test[popular] + 0.3, test


def test_recommends_unseen_in_block_items_after_pickling(
    blocks: RatingSplit, blend: BlendRecommender
) -> None:
    restored = pickle.loads(pickle.dumps(blend))
    np.testing.assert_allclose(restored.score_users([1, 40]), blend.score_users([1, 40]), rtol=1e-6)
    ids, _ = restored.recommend(1, k=5)  # user 1 is in block 0: items 1-12
    seen = set(blocks.train.loc[blocks.train["user_id"] == 1, "item_id"])
    assert not seen & set(ids.tolist())
    assert all(1 <= i <= 12 for i in ids[:3]), ids


def test_weight_zero_and_one_reproduce_the_members_ranking(blend: BlendRecommender) -> None:
    rows = np.arange(5)
    probe = copy.copy(blend)  # the fixture is shared: never move its fitted weight
    for weight, member in ((0.0, blend.first_), (1.0, blend.second_)):
        probe.weight_ = weight
        np.testing.assert_allclose(probe._score_rows(rows), standardise_rows(member._score_rows(rows)))
    z = standardise_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(z, [[-1.2247449, 0.0, 1.2247449], [0.0, 0.0, 0.0]], rtol=1e-6)  # flat: zeros


def test_prefit_members_must_match_the_ratings(blocks: RatingSplit) -> None:
    other = EASERecommender(l2=10.0).fit(blocks.train.iloc[: len(blocks.train) // 2])
    whole = EASERecommender(l2=10.0).fit(blocks.train)
    with pytest.raises(ValueError, match="blend members"):
        BlendRecommender(other, whole, prefit=True).fit(blocks.train)
    with pytest.raises(ValueError, match="weights"):
        BlendRecommender(whole, whole, weights=(1.5,), prefit=True).fit(blocks.train)
    midpoint = BlendRecommender(whole, whole, weights=(0.2, 0.4, 0.6), prefit=True).fit(blocks.train)
    assert midpoint.weight_ == 0.4 and midpoint.valid_scores_ == {}  # no valid frame: the middle candidate


def test_ease_popularity_exponent_demotes_popular_items() -> None:
    pairs = [(u, i) for u in range(1, 31) for i in (1, 2)] + [(u, 3) for u in range(1, 6)] + [(99, 1)]
    ratings = pd.DataFrame(pairs, columns=["user_id", "item_id"])
    plain = EASERecommender(l2=5.0).fit(ratings)
    debiased = plain.with_exponent(1.0)
    assert plain.popularity_exponent == 0.0 and debiased.weights_ is plain.weights_  # no refit, no copy
    counts = np.maximum(plain.popularity_, 1.0)
    np.testing.assert_allclose(debiased.score_users([99]), plain.score_users([99]) / counts, rtol=1e-5)
