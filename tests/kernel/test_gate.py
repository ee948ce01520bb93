"""The promotion gate on constructed cases whose right answer is known (pure numpy, well under a second)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest
from scipy import stats

from closedloop.gate import (
    GateDecision,
    GatePolicy,
    SpamPredictions,
    bootstrap_f1_difference,
    bootstrap_mean_difference,
    decide_recsys,
    decide_spam,
    mcnemar,
)

POLICY = GatePolicy()
# Holdout: messages 0-499 are spam, 500-1999 ham; models below are defined by which messages they get wrong.
HOLDOUT = np.array([True] * 500 + [False] * 1500)


def spam_model(y_true: np.ndarray, *, wrong: Iterable[int]) -> SpamPredictions:
    """Predictions equal to the labels except on the `wrong` indices."""
    y_pred = y_true.copy()
    idx = list(wrong)
    y_pred[idx] = ~y_pred[idx]
    return SpamPredictions(y_true=y_true, y_pred=y_pred)


# 60 missed spam + 20 false alarms vs 15 missed spam + 10 false alarms.
CHAMPION = spam_model(HOLDOUT, wrong=[*range(60), *range(500, 520)])
BETTER = spam_model(HOLDOUT, wrong=[*range(15), *range(500, 510)])


def decide_with_recent(
    y: np.ndarray, new_wrong: Iterable[int], old_wrong: Iterable[int], policy: GatePolicy = POLICY
) -> GateDecision:
    """BETTER against CHAMPION on the holdout, plus a recent slice labeled `y` where each errs as given."""
    return decide_spam(
        challenger=BETTER,
        champion=CHAMPION,
        recent_challenger=spam_model(y, wrong=new_wrong),
        recent_champion=spam_model(y, wrong=old_wrong),
        policy=policy,
    )


@pytest.mark.parametrize(
    ("b", "c", "method", "p_value"),
    [
        (10, 2, "exact", 0.0386),  # by hand: 2 * P(X <= 2 | n=12, p=0.5) = 2 * 79 / 4096 = 0.03857
        (30, 10, "chi2-cc", stats.chi2.sf((20 - 1) ** 2 / 40, df=1)),  # (|b - c| - 1)^2 / (b + c) = 9.025
        (0, 0, "exact", 1.0),  # no discordant pairs: the models agree everywhere
    ],
)
def test_mcnemar_matches_hand_computed_values(b: int, c: int, method: str, p_value: float) -> None:
    # b examples only the baseline gets right, c only the candidate, 40 both.
    baseline = np.array([True] * b + [False] * c + [True] * 40)
    candidate = np.array([False] * b + [True] * c + [True] * 40)
    result = mcnemar(baseline_correct=baseline, candidate_correct=candidate)
    assert (result.b, result.c, result.method) == (b, c, method)
    assert result.p_value == pytest.approx(p_value, abs=5e-5)
    if method == "exact" and b + c:
        assert result.p_value == pytest.approx(stats.binomtest(c, b + c, 0.5).pvalue)


def test_f1_bootstrap_matches_plain_index_resampling() -> None:
    # The multinomial shortcut must give the same distribution as resampling message indices.
    rng = np.random.default_rng(7)
    y = rng.random(300) < 0.3
    old = np.where(rng.random(300) < 0.15, ~y, y)
    new = np.where(rng.random(300) < 0.10, ~y, y)
    fast = bootstrap_f1_difference(y_true=y, baseline_pred=old, candidate_pred=new, n_resamples=4000, seed=1)

    def f1(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:  # (resamples, n) -> (resamples,)
        tp = (truth & pred).sum(1)
        return 2 * tp / (2 * tp + (~truth & pred).sum(1) + (truth & ~pred).sum(1))

    idx = rng.integers(0, 300, size=(4000, 300))
    slow = np.quantile(f1(y[idx], new[idx]) - f1(y[idx], old[idx]), [0.025, 0.975])
    assert fast.ci_low == pytest.approx(slow[0], abs=0.01)
    assert fast.ci_high == pytest.approx(slow[1], abs=0.01)


def test_mean_difference_interval_covers_the_true_difference_at_its_nominal_rate() -> None:
    rng = np.random.default_rng(3)
    covered = 0
    for seed in range(200):
        old = rng.uniform(0.0, 0.6, 200)
        new = old + rng.normal(0.03, 0.1, 200)  # true mean difference 0.03
        result = bootstrap_mean_difference(baseline=old, candidate=new, n_resamples=500, seed=seed)
        covered += result.ci_low <= 0.03 <= result.ci_high
    assert 0.88 <= covered / 200 <= 0.99


def test_bootstraps_are_deterministic_for_a_seed() -> None:
    kwargs: dict[str, Any] = {"y_true": HOLDOUT, "baseline_pred": CHAMPION.y_pred}
    kwargs["candidate_pred"] = BETTER.y_pred
    assert bootstrap_f1_difference(**kwargs, seed=5) == bootstrap_f1_difference(**kwargs, seed=5)
    assert bootstrap_f1_difference(**kwargs, seed=5) != bootstrap_f1_difference(**kwargs, seed=6)
    old, new = np.linspace(0, 1, 300), np.linspace(0, 1, 300) ** 2
    first = bootstrap_mean_difference(baseline=old, candidate=new, seed=5)
    assert first == bootstrap_mean_difference(baseline=old, candidate=new, seed=5)
    assert first.ci_low < first.estimate < first.ci_high


def test_clearly_better_spam_model_is_promoted_with_its_evidence() -> None:
    decision = decide_spam(challenger=BETTER, champion=CHAMPION, policy=POLICY)
    holdout = decision.evidence["holdout"]
    assert decision.promote and decision.evidence["rule"] == "promoted"
    assert decision.reason.startswith("promoted: F1 +0.058 [") and "McNemar p<0.001" in decision.reason
    assert holdout["bootstrap"]["ci_low"] > 0 and holdout["n"] == 2000
    assert (holdout["challenger"]["f1"], holdout["champion"]["f1"]) == pytest.approx((970 / 995, 880 / 960))
    assert (holdout["mcnemar"]["b"], holdout["mcnemar"]["c"]) == (0, 55)


# The champion's error counts on other messages; one fewer missed spam (a positive estimate, but noise).
SAME_ACCURACY = spam_model(HOLDOUT, wrong=[*range(60, 120), *range(520, 540)])
ONE_FEWER_MISS = spam_model(HOLDOUT, wrong=[*range(59), *range(500, 520)])


@pytest.mark.parametrize(
    ("challenger", "champion", "rule"),
    [
        pytest.param(CHAMPION, BETTER, "significantly_worse", id="clearly-worse"),
        pytest.param(CHAMPION, CHAMPION, "no_significant_improvement", id="same-model"),
        pytest.param(SAME_ACCURACY, CHAMPION, "no_significant_improvement", id="same-accuracy"),
        pytest.param(ONE_FEWER_MISS, CHAMPION, "no_significant_improvement", id="one-fewer-miss"),
    ],
)
def test_worse_or_tied_spam_model_is_refused(
    challenger: SpamPredictions, champion: SpamPredictions, rule: str
) -> None:
    decision = decide_spam(challenger=challenger, champion=champion, policy=POLICY)
    assert not decision.promote and decision.evidence["rule"] == rule
    assert decision.reason.startswith(f"refused: {rule.replace('_', ' ')} (ΔF1 ")


def test_gain_past_the_margin_is_refused_when_not_significant() -> None:
    # 20 spam + 40 ham: one fewer missed spam lifts F1 by ~0.03, far past the margin, yet it is noise.
    y = np.array([True] * 20 + [False] * 40)
    challenger, champion = spam_model(y, wrong=[0, 1]), spam_model(y, wrong=[0, 1, 2])
    decision = decide_spam(challenger=challenger, champion=champion, policy=POLICY)
    assert decision.evidence["holdout"]["delta_f1"] > POLICY.min_improvement
    assert decision.evidence["rule"] == "no_significant_improvement" and not decision.promote


def test_fpr_guardrail_refuses_better_f1_bought_with_false_positives() -> None:
    champion = spam_model(HOLDOUT, wrong=range(100))  # misses 100 spam, no false alarms
    challenger = spam_model(HOLDOUT, wrong=range(500, 520))  # misses nothing, 20 false alarms
    decision = decide_spam(challenger=challenger, champion=champion, policy=POLICY)
    assert decision.evidence["checks"]["significant_improvement"]
    assert decision.evidence["holdout"]["delta_fpr"] == pytest.approx(20 / 1500)
    assert decision.evidence["rule"] == "fpr_guardrail" and not decision.promote
    assert decision.reason.startswith("refused: FPR rose +0.0133 > tolerance 0.005")


def test_accuracy_guardrail_refuses_better_f1_with_significantly_more_errors() -> None:
    # 400 spam in 100,000 ham: catching 200 more spam for 300 false alarms lifts F1 and keeps FPR within
    # tolerance (+0.003), but makes 100 more mistakes in total.
    y = np.array([True] * 400 + [False] * 100_000)
    champion, challenger = spam_model(y, wrong=range(200)), spam_model(y, wrong=range(400, 700))
    decision = decide_spam(challenger=challenger, champion=champion, policy=POLICY)
    assert decision.evidence["checks"]["fpr_guardrail"] and decision.evidence["checks"]["meets_margin"]
    assert decision.evidence["rule"] == "accuracy_guardrail" and not decision.promote
    assert "b=300 > c=200" in decision.reason


@pytest.mark.parametrize(
    ("wrong", "promote", "in_reason"),
    [
        ([*range(15), *range(500, 510)], True, "promoted: first model, F1 0.975"),
        ([*range(90)], True, "F1 0.901 >= 0.900"),  # 820 / 910: just above the floor
        ([*range(110)], False, "F1 0.876 < 0.900"),
        ([*range(500, 540)], False, "FPR 0.0267 > 0.0200"),
    ],
)
def test_first_spam_model_must_clear_absolute_floors(wrong: list[int], promote: bool, in_reason: str) -> None:
    decision = decide_spam(challenger=spam_model(HOLDOUT, wrong=wrong), champion=None, policy=POLICY)
    assert decision.promote is promote
    assert in_reason in decision.reason
    assert decision.evidence["recent"]["status"] == "not_used"


def test_recent_slice_significantly_worse_refuses_a_better_holdout_model() -> None:
    y = np.array([True] * 200 + [False] * 200)
    decision = decide_with_recent(y, range(80), range(10))
    assert decision.evidence["checks"]["significant_improvement"]
    assert decision.evidence["rule"] == "recent_significantly_worse" and not decision.promote
    assert decision.evidence["recent"]["status"] == "evaluated"
    assert decision.reason.startswith("refused: significantly worse on the recent slice of 400")


def test_recent_slice_too_small_is_reported_and_the_holdout_decides() -> None:
    y = np.array([True] * 10 + [False] * 10)  # 20 < min_recent, and the challenger looks awful on it
    decision = decide_with_recent(y, range(8), [0])
    assert decision.promote
    assert decision.evidence["recent"]["status"] == "too_small" and decision.evidence["recent"]["n"] == 20
    assert decision.reason.endswith("; recent slice too small (n=20)")


RNG = np.random.default_rng(11)
CHAMPION_NDCG = RNG.uniform(0.1, 0.5, 1000)  # per-user NDCG@10, index i is user i for both models
BETTER_NDCG = np.clip(CHAMPION_NDCG + RNG.normal(0.05, 0.05, 1000), 0.0, 1.0)


def recsys(challenger: Any, champion: Any, **recent: Any) -> GateDecision:
    return decide_recsys(challenger_ndcg=challenger, champion_ndcg=champion, policy=POLICY, **recent)


def test_clearly_better_recommender_is_promoted() -> None:
    decision = recsys(BETTER_NDCG, CHAMPION_NDCG)
    assert decision.promote
    assert decision.reason.startswith("promoted: NDCG@10 +0.0") and decision.reason.endswith("n=1000 users")
    bootstrap = decision.evidence["holdout"]["bootstrap"]
    assert 0 < bootstrap["ci_low"] <= 0.05 <= bootstrap["ci_high"]  # the simulated gain is 0.05 per user


@pytest.mark.parametrize(
    ("challenger", "rule"),
    [
        # Same scores reassigned to other users: identical mean, per-user noise.
        pytest.param(RNG.permutation(CHAMPION_NDCG), "no_significant_improvement", id="tie"),
        # Every user gains exactly 0.002: certain, but smaller than the 0.005 margin.
        pytest.param(CHAMPION_NDCG + 0.002, "below_margin", id="below-margin"),
        pytest.param(CHAMPION_NDCG * 0.8, "significantly_worse", id="worse"),
    ],
)
def test_recommender_without_a_real_gain_is_refused(challenger: np.ndarray, rule: str) -> None:
    decision = recsys(challenger, CHAMPION_NDCG)
    assert not decision.promote and decision.evidence["rule"] == rule


def test_recommender_recent_slice_significantly_worse_is_refused() -> None:
    recent = CHAMPION_NDCG[:100]
    decision = recsys(
        BETTER_NDCG, CHAMPION_NDCG, recent_challenger_ndcg=recent / 2, recent_champion_ndcg=recent
    )
    assert decision.evidence["rule"] == "recent_significantly_worse" and not decision.promote


@pytest.mark.parametrize(("level", "promote"), [(0.25, True), (0.15, False)])
def test_first_recommender_must_clear_the_ndcg_floor(level: float, promote: bool) -> None:
    decision = recsys(np.full(200, level), None)
    assert decision.promote is promote
    assert decision.evidence["rule"] == ("promoted" if promote else "first_model_floors")


def test_evidence_is_plain_json_and_carries_the_deciding_rule() -> None:
    recent = np.array([True] * 30 + [False] * 30)
    decisions = [
        decide_spam(challenger=BETTER, champion=CHAMPION, policy=POLICY),
        decide_spam(challenger=CHAMPION, champion=CHAMPION, policy=POLICY),
        decide_spam(challenger=BETTER, champion=None, policy=POLICY),
        decide_with_recent(recent, [1], [2], GatePolicy(min_recent=10)),
        recsys(BETTER_NDCG, CHAMPION_NDCG),
        recsys(BETTER_NDCG, None),
    ]
    assert decisions[3].evidence["recent"]["status"] == "evaluated"
    for decision in decisions:
        assert json.loads(json.dumps(decision.evidence, allow_nan=False)) == decision.evidence
        assert {"task", "rule", "policy", "holdout", "recent", "checks"} <= decision.evidence.keys()
        assert decision.reason.startswith("promoted: " if decision.promote else "refused: ")
        assert "\n" not in decision.reason


ONE_CLASS = spam_model(np.array([True, True]), wrong=[0])
FLIPPED = spam_model(~HOLDOUT, wrong=[])  # another holdout's labels


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SpamPredictions(y_true=np.array([1, 0, 1]), y_pred=np.array([1, 0])), "same length"),
        (lambda: SpamPredictions(y_true=np.array([1, 0, 2]), y_pred=np.array([1, 0, 1])), "0/1"),
        (lambda: SpamPredictions(y_true=np.array([]), y_pred=np.array([])), "empty"),
        (lambda: decide_spam(challenger=ONE_CLASS, champion=None, policy=POLICY), "both spam and ham"),
        (lambda: decide_spam(challenger=BETTER, champion=FLIPPED, policy=POLICY), "same messages"),
        (lambda: decide_spam(challenger=BETTER, champion=CHAMPION, recent_challenger=BETTER, policy=POLICY),
         "or for neither"),
        (lambda: recsys([0.1, 0.2], [0.1]), "same length"),
        (lambda: recsys([0.1, 1.2], [0.1, 0.2]), "[0.0, 1.0]"),
        (lambda: recsys([float("nan")], None), "NaN"),
        (lambda: GatePolicy(alpha=1.5), "alpha"),
        (lambda: GatePolicy(fpr_tolerance=-0.1), "fpr_tolerance"),
    ],
)  # fmt: skip
def test_bad_inputs_are_rejected_with_a_clear_message(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
