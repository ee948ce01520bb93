"""Per-user 8:1:1 split: RecBole's rounding, disjointness, determinism, no cold test users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.recsys.splits import split_counts, split_ratings


def _ratings(sizes: dict[int, int]) -> pd.DataFrame:
    rows = [(user, 100 + j) for user, n in sizes.items() for j in range(n)]
    return pd.DataFrame(rows, columns=["user_id", "item_id"]).assign(rating=4.0, timestamp=0)


def test_split_counts_follow_recbole_rounding() -> None:
    n = np.array([1, 2, 3, 9, 10, 19, 20, 25, 100])
    expected = [
        [1, 0, 0],  # one rating: train only (RecBole stops once train would drop to 0)
        [1, 0, 1],  # two: test before valid
        [1, 1, 1],
        [7, 1, 1],  # 0.9 rounds down to 0, then is bumped to 1
        [8, 1, 1],
        [17, 1, 1],
        [16, 2, 2],
        [21, 2, 2],  # 2.5 rounds down
        [80, 10, 10],
    ]
    np.testing.assert_array_equal(split_counts(n), expected)


def _pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["user_id"], frame["item_id"], strict=True))


def test_split_sizes_disjointness_and_coverage() -> None:
    ratings = _ratings({1: 20, 2: 30, 3: 3, 4: 2, 5: 1})
    split = split_ratings(ratings, seed=0)
    sizes = {
        name: getattr(split, name).groupby("user_id").size().to_dict() for name in ("train", "valid", "test")
    }
    assert sizes["train"] == {1: 16, 2: 24, 3: 1, 4: 1, 5: 1}
    assert sizes["valid"] == {1: 2, 2: 3, 3: 1}
    assert sizes["test"] == {1: 2, 2: 3, 3: 1, 4: 1}
    train, valid, test = (_pairs(getattr(split, n)) for n in ("train", "valid", "test"))
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert train | valid | test == _pairs(ratings)
    assert set(split.test["user_id"]) <= set(split.train["user_id"])  # no cold-start test user
    assert list(split.train.columns) == list(ratings.columns)


def test_split_is_deterministic_per_seed_and_ignores_row_order() -> None:
    ratings = _ratings({1: 40, 2: 25, 3: 12})
    first, again = split_ratings(ratings, seed=7), split_ratings(ratings, seed=7)
    shuffled = split_ratings(ratings.sample(frac=1.0, random_state=3), seed=7)
    other = split_ratings(ratings, seed=8)
    for name in ("train", "valid", "test"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
        pd.testing.assert_frame_equal(getattr(first, name), getattr(shuffled, name))
    assert _pairs(first.test) != _pairs(other.test)


def test_split_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="three ratios"):
        split_ratings(_ratings({1: 5}), ratios=(0.9, 0.1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="user_id"):
        split_ratings(pd.DataFrame({"item_id": [1]}))
