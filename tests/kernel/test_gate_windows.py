"""The gate's two slices and two primary metrics: the window decides and must be large enough, the holdout
can only refuse, and a classifier may earn promotion through fewer false alarms, each metric tested at
alpha / 2. Constructed cases on the shared fixtures of test_gate.py."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from closedloop.gate import BinaryOutcomes, GatePolicy, UnitScores, bootstrap_f1_difference, decide
from closedloop.gate.statistics import bootstrap_fpr_difference
from tests.kernel.test_gate import (
    BASE_NDCG,
    BETTER,
    BETTER_NDCG,
    CHAMPION,
    CHAMPION_NDCG,
    HOLDOUT,
    HOLDOUT_BETTER,
    HOLDOUT_TIE,
    POLICY,
    WINDOW,
    WINDOW_BETTER,
    outcomes,
    recsys,
    spam_decision,
)

# Every fifth message spam; the champion misses every other spam, the challenger none. 49 is one short of
# the default min_window of 50.
SHORT = np.arange(49) % 5 == 0
SHORT_WINDOW = outcomes(SHORT, new_wrong=[], old_wrong=range(0, 49, 10))


@pytest.mark.parametrize(
    ("window", "n"),
    [
        pytest.param(None, 0, id="no-window"),
        pytest.param(SHORT_WINDOW, 49, id="one-short"),
    ],
)
def test_window_too_small_refuses_even_a_clearly_better_model(window: BinaryOutcomes | None, n: int) -> None:
    # The holdout alone says nothing about the traffic the challenger would serve: it waits for evidence.
    decision = spam_decision(window, holdout=HOLDOUT_BETTER)
    assert not decision.promote and decision.evidence["rule"] == "window_too_small"
    assert decision.evidence["window"] == {"status": "too_small", "n": n}
    assert decision.reason.startswith(f"refused: {n} new labelled units")
    assert "fewer than the 50 a decision needs" in decision.reason
    assert decision.evidence["holdout"]["bootstrap"]["ci_low"] > 0  # the holdout was still measured


def test_window_too_small_applies_to_per_unit_scores() -> None:
    decision = recsys(UnitScores(challenger=BETTER_NDCG[:10], champion=CHAMPION_NDCG[:10]))
    assert decision.evidence["rule"] == "window_too_small" and not decision.promote
    assert decision.reason.startswith("refused: 10 new labelled units")


def test_window_of_exactly_min_window_is_evaluated() -> None:
    window = outcomes(np.arange(50) % 5 == 0, new_wrong=[], old_wrong=range(0, 50, 10))
    decision = spam_decision(window)
    assert decision.evidence["window"]["status"] == "evaluated" and decision.evidence["window"]["n"] == 50
    assert decision.evidence["rule"] != "window_too_small"


@pytest.mark.parametrize(
    ("holdout", "promote", "rule"),
    [
        pytest.param(HOLDOUT_TIE, True, "promoted", id="holdout-tie"),
        pytest.param(outcomes(HOLDOUT, new_wrong=CHAMPION, old_wrong=CHAMPION), True, "promoted",
                     id="holdout-identical"),
        pytest.param(outcomes(HOLDOUT, new_wrong=CHAMPION, old_wrong=BETTER), False,
                     "holdout_significantly_worse", id="holdout-worse"),
    ],
)  # fmt: skip
def test_holdout_guards_a_model_better_on_the_window(
    holdout: BinaryOutcomes, promote: bool, rule: str
) -> None:
    decision = spam_decision(WINDOW_BETTER, holdout=holdout)
    assert decision.evidence["checks"]["window_significant_improvement"]
    assert decision.promote is promote and decision.evidence["rule"] == rule
    assert decision.evidence["checks"]["holdout_not_significantly_worse"] is promote
    if not promote:
        # 880/960 - 970/995 = -0.058: the holdout interval, not the window's, is the one reported.
        assert decision.reason.startswith(
            "refused: significantly worse on the base-period holdout (Δf1 -0.058"
        )


def test_recommender_better_on_the_window_but_worse_on_the_holdout_is_refused() -> None:
    holdout = UnitScores(challenger=BASE_NDCG * 0.8, champion=BASE_NDCG)
    decision = recsys(UnitScores(challenger=BETTER_NDCG, champion=CHAMPION_NDCG), holdout=holdout)
    assert decision.evidence["checks"]["window_significant_improvement"]
    assert decision.evidence["rule"] == "holdout_significantly_worse" and not decision.promote


# Window champion: misses 5 of 100 spam, flags 20 of 300 ham (F1 190/215). The challenger flags only 2 ham.
FALSE_ALARMS = [*range(5), *range(100, 120)]


def test_significantly_fewer_false_alarms_promotes_when_f1_is_not_significantly_worse() -> None:
    # The challenger misses 25 spam: F1 150/177 - 190/215 = -0.036 (within noise), FPR 2/300 - 20/300 = -0.06.
    decision = spam_decision(outcomes(WINDOW, new_wrong=[*range(25), 100, 101], old_wrong=FALSE_ALARMS))
    window, checks = decision.evidence["window"], decision.evidence["checks"]
    assert window["bootstrap"]["estimate"] == pytest.approx(150 / 177 - 190 / 215)
    assert window["fpr_bootstrap"]["estimate"] == pytest.approx(-18 / 300)
    assert checks["window_fewer_false_alarms"] and checks["window_not_significantly_worse"]
    assert not checks["window_significant_improvement"] and not checks["meets_margin"]
    assert decision.promote and decision.evidence["rule"] == "promoted"
    assert decision.reason.startswith("promoted: fewer false alarms, FPR -0.0600 [")


def test_fewer_false_alarms_do_not_excuse_a_significantly_worse_f1() -> None:
    # Missing 60 spam to stop 18 false alarms: F1 80/142 - 190/215 = -0.320.
    decision = spam_decision(outcomes(WINDOW, new_wrong=[*range(60), 100, 101], old_wrong=FALSE_ALARMS))
    assert decision.evidence["checks"]["window_fewer_false_alarms"]
    assert decision.evidence["window"]["bootstrap"]["estimate"] == pytest.approx(80 / 142 - 190 / 215)
    assert decision.evidence["rule"] == "significantly_worse" and not decision.promote


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_binary_metrics_are_each_tested_at_half_alpha(alpha: float) -> None:
    # F1 and FPR can each promote, so each is tested one-sided at alpha / 2 — a two-sided (1 - alpha)
    # interval — and the family-wise false-promotion rate stays at alpha (Bonferroni); the logged intervals
    # are exactly those bootstraps.
    policy = GatePolicy(alpha=alpha)
    decision = decide(metric="f1", holdout=HOLDOUT_TIE, window=WINDOW_BETTER, policy=policy)
    window = decision.evidence["window"]
    assert window["bootstrap"]["confidence"] == pytest.approx(1 - alpha)
    assert window["fpr_bootstrap"]["confidence"] == pytest.approx(1 - alpha)
    paired = {
        "y_true": WINDOW,
        "baseline_pred": WINDOW_BETTER.champion,
        "candidate_pred": WINDOW_BETTER.challenger,
    }
    settings = {"n_resamples": policy.n_bootstrap, "seed": policy.seed, "alpha": alpha}
    assert window["bootstrap"] == asdict(bootstrap_f1_difference(**paired, **settings))
    assert window["fpr_bootstrap"] == asdict(bootstrap_fpr_difference(**paired, **settings))


def test_a_single_per_unit_metric_is_tested_one_sided_at_the_full_alpha() -> None:
    # One question per direction (better? worse?), each one-sided at alpha: the (1 - 2 alpha) interval.
    decision = recsys(UnitScores(challenger=BETTER_NDCG, champion=CHAMPION_NDCG))
    assert decision.evidence["window"]["bootstrap"]["confidence"] == pytest.approx(1 - 2 * POLICY.alpha)
