"""The learning-curve fits: they recover a known power law, extrapolate it, and price the next point."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.curves import (
    PowerFit,
    extrapolation_check,
    fit_log,
    fit_power_law,
    labels_for_gain,
    log_spaced_sizes,
    noise_scale,
    seeds_per_size,
    subsample_interactions,
    summarize_curve,
)
from models.curves.points import nested_order

SIZES = np.array([100, 180, 320, 580, 1000, 1800, 3200, 5800])
A, B, C = 2.0, 0.6, 0.02


def true_score(n: np.ndarray) -> np.ndarray:
    return 1.0 - (A * n ** (-B) + C)


def test_power_fit_recovers_a_known_power_law_from_noisy_seeds():
    rng = np.random.default_rng(0)
    scores = true_score(SIZES)[:, None] + rng.normal(0, 0.002, size=(len(SIZES), 5))  # (sizes, seeds)
    fit = fit_power_law(SIZES, scores.mean(axis=1), noise_scale(scores))
    assert fit.b == pytest.approx(B, abs=0.12)
    assert fit.c == pytest.approx(C, abs=0.006)
    assert fit.a == pytest.approx(A, rel=0.5)
    assert fit.r2 > 0.99
    # Within the range the fitted curve is where the true one is, to well under a point.
    assert np.max(np.abs(fit.score(SIZES) - true_score(SIZES))) < 0.003


def test_exact_power_law_is_fitted_exactly_and_extrapolates_exactly():
    fit = fit_power_law(SIZES, true_score(SIZES))
    assert (fit.a, fit.b, fit.c) == pytest.approx((A, B, C), rel=1e-3)
    check = extrapolation_check(SIZES, true_score(SIZES))
    assert check["fit_sizes"] == [100, 180, 320, 580]
    assert check["target_size"] == 5800
    assert check["abs_error"] < 1e-4
    assert check["actual"] == pytest.approx(float(true_score(np.array([5800]))[0]))


def test_log_fit_recovers_a_logarithmic_curve():
    fit = fit_log(SIZES, 0.5 + 0.04 * np.log(SIZES))
    assert (fit.alpha, fit.beta) == pytest.approx((0.5, 0.04), abs=1e-9)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.score(np.e**10) == pytest.approx(0.9)


def test_labels_for_the_next_point_match_a_hand_computation():
    fit = PowerFit(a=1.0, b=0.5, c=0.0, r2=1.0)
    # error(10_000) = 1/100 = 0.01 → +1 point needs error 0.0 = c: unreachable.
    assert labels_for_gain(fit, 10_000) is None
    # error(2_500) = 0.02 → 0.01 needs n = (1 / 0.01)² = 10_000, i.e. 7_500 more labels.
    assert labels_for_gain(fit, 2_500) == 7_500
    with_floor = PowerFit(a=1.0, b=0.5, c=0.05, r2=1.0)
    # error(100) = 0.15 → 0.14 needs n^-0.5 = 0.09, n = 123.45… → 124 labels, 24 more.
    assert labels_for_gain(with_floor, 100) == math.ceil((1 / 0.09) ** 2) - 100 == 24


def test_summary_schema_and_predictions_on_a_noiseless_curve():
    scores = np.repeat(true_score(SIZES)[:, None], 3, axis=1)
    out = summarize_curve(SIZES, scores)
    assert out["sizes"] == SIZES.tolist() and len(out["scores"]) == len(SIZES)
    assert out["std"] == pytest.approx([0.0] * len(SIZES))
    assert set(out["power_fit"]) == {"a", "b", "c", "r2"} and set(out["log_fit"]) == {"alpha", "beta", "r2"}
    assert out["predicted"]["2x"] == pytest.approx(float(true_score(np.array([11_600]))[0]), abs=1e-4)
    assert out["predicted"]["10x"] == pytest.approx(float(true_score(np.array([58_000]))[0]), abs=1e-4)
    assert out["predicted"]["2x"] < out["predicted"]["10x"] < out["asymptote"]
    # error(5800) ≈ 0.0323; one point less (0.0223) is 0.0023 above c: a large but finite number of labels.
    expected = math.ceil((A / (A * 5800 ** (-B) - 0.01)) ** (1 / B)) - 5800
    assert out["labels_for_next_point"] == pytest.approx(expected, rel=0.01)


def test_sizes_are_log_spaced_and_distinct():
    sizes = log_spaced_sizes(4732, n_min=150, count=7)
    assert sizes[0] == 150 and sizes[-1] == 4732 and len(set(sizes)) == 7
    ratios = np.diff(np.log(sizes))
    assert np.allclose(ratios, ratios[0], atol=0.01)
    with pytest.raises(ValueError):
        log_spaced_sizes(10, n_min=5, count=9)


def test_noise_floor_keeps_a_seed_agreement_from_getting_infinite_weight():
    scores = np.array([[0.9, 0.92, 0.94], [0.95, 0.95, 0.95], [0.96, 0.97, 0.98]])
    sigma = noise_scale(scores)
    sem = scores.std(axis=1, ddof=1) / np.sqrt(3)  # 0.0115, 0, 0.0058
    assert sigma[1] == pytest.approx(0.25 * np.median(sem)) and sigma[1] > 0
    assert sigma[[0, 2]] == pytest.approx(sem[[0, 2]])  # real spreads are left alone


def test_nested_subsets_grow_by_adding_rows_and_keep_the_label_mix():
    labels = np.array([1] * 300 + [0] * 700)
    order = nested_order(labels, seed=3)
    assert sorted(order) == list(range(1000))
    for size in (50, 200, 600):
        assert abs(labels[order[:size]].mean() - 0.3) <= 1 / size + 1e-9
    assert not np.array_equal(order, nested_order(labels, seed=4))


def test_interaction_subsample_keeps_every_user_and_is_nested():
    train = pd.DataFrame({"user_id": np.repeat(np.arange(20), 10), "item_id": np.tile(np.arange(10), 20)})
    small = subsample_interactions(train, 50, seed=1)
    large = subsample_interactions(train, 120, seed=1)
    assert len(small) == 50 and small["user_id"].nunique() == 20
    pairs = set(map(tuple, large.to_numpy()))
    assert all(tuple(row) in pairs for row in small.to_numpy())
    with pytest.raises(ValueError):
        subsample_interactions(train, 10, seed=1)


def test_more_seeds_where_the_data_is_small():
    sizes = log_spaced_sizes(4732, n_min=150, count=9)
    counts = seeds_per_size(sizes, min_seeds=3)
    assert counts == [max(3, round(3 * math.sqrt(4732 / n))) for n in sizes]
    assert counts[0] == 17 and counts[-1] == 3 and counts == sorted(counts, reverse=True)
    assert seeds_per_size([10, 10_000], min_seeds=5) == [max(5, round(5 * math.sqrt(1000))), 5]
    with pytest.raises(ValueError):
        seeds_per_size(sizes, min_seeds=0)


def test_summary_takes_a_different_number_of_seeds_per_size():
    rng = np.random.default_rng(1)
    counts = seeds_per_size(SIZES.tolist(), min_seeds=3)
    # Spread shrinking like 1/sqrt(n), as on the real corpus.
    rows = [
        true_score(np.array([n]))[0] + rng.normal(0, 0.2 / math.sqrt(n), size=k)
        for n, k in zip(SIZES, counts, strict=True)
    ]
    out = summarize_curve(SIZES, rows)
    assert [len(row) for row in out["scores"]] == counts
    assert out["mean"] == pytest.approx([float(np.mean(r)) for r in rows])
    assert out["std"][0] == pytest.approx(float(np.std(rows[0], ddof=1)))
    assert out["sigma"][0] == pytest.approx(out["std"][0] / math.sqrt(counts[0]))  # the standard error
    assert out["power_fit"]["r2"] > 0.99 and out["extrapolation"]["abs_error"] < 0.01
    with pytest.raises(ValueError):
        summarize_curve(SIZES, rows[:-1])
    with pytest.raises(ValueError):
        summarize_curve(SIZES, [*rows[:-1], []])
