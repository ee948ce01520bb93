"""The labeling simulation behind the active-learning benchmark, on a small synthetic corpus."""

from __future__ import annotations

import numpy as np
import pytest

from models.labeling import QueuePolicy
from models.labeling.cached_baseline import CachedSpamBaseline, CorpusCounts
from models.labeling.simulation import CurvePoint, labels_to_reach, simulate
from tests.models.labeling.test_cached_baseline import corpus


def test_both_strategies_start_alike_and_grow_to_each_size() -> None:
    texts, labels = corpus(240, seed=1)
    counts = CorpusCounts(texts, max_features=500, char_max_features=500)
    pool, holdout = list(range(160)), list(range(160, 240))
    curves = {
        strategy: simulate(
            pool,
            labels[:160],
            holdout,
            labels[160:],
            strategy=strategy,
            make_model=lambda: CachedSpamBaseline(counts),
            sizes=[20, 40, 60],
            policy=QueuePolicy(random_share=0.1),
            seed=3,
        )
        for strategy in ("policy", "random")
    }
    assert [p.n_labels for p in curves["policy"]] == [20, 40, 60]
    assert curves["policy"][0] == curves["random"][0]  # the same random start
    assert all(0.0 <= p.f1 <= 1.0 for curve in curves.values() for p in curve)


def test_sizes_are_checked() -> None:
    texts, labels = corpus(40)
    counts = CorpusCounts(texts)
    with pytest.raises(ValueError, match="sizes must increase"):
        simulate(
            list(range(40)),
            labels,
            list(range(40)),
            labels,
            strategy="random",
            make_model=lambda: CachedSpamBaseline(counts),
            sizes=[20, 10],
            policy=QueuePolicy(),
            seed=0,
        )


def test_labels_to_reach() -> None:
    curve = [CurvePoint(100, 0.90), CurvePoint(150, 0.951), CurvePoint(200, 0.94), CurvePoint(300, 0.97)]
    assert labels_to_reach(curve, 0.95) == 150
    assert labels_to_reach(curve, 0.99) is None
    assert np.isclose(curve[1].f1, 0.951)
