"""The promotion gate on constructed cases whose right answer is known (pure numpy, well under a second).

The paired statistics, then `decide` against a champion on the window (the primary evidence), first models
judged by floors, the evidence's shape, and bad inputs. The window-versus-holdout rules, the false-alarm
route to promotion and the Bonferroni split live in test_gate_windows.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest
from scipy import stats

from closedloop.gate import (
    BinaryOutcomes,
    Floor,
    GateDecision,
    GatePolicy,
    UnitScores,
    bootstrap_f1_difference,
    bootstrap_mean_difference,
    compare_classifiers,
    decide,
    mcnemar,
)
from closedloop.gate.statistics import bootstrap_fpr_difference

POLICY = GatePolicy()


def predictions(y_true: np.ndarray, wrong: Iterable[int]) -> np.ndarray:
    """Decisions equal to the labels except on the `wrong` indices."""
    y_pred = y_true.copy()
    idx = list(wrong)
    y_pred[idx] = ~y_pred[idx]
    return y_pred


def outcomes(
    y_true: np.ndarray, *, new_wrong: Iterable[int], old_wrong: Iterable[int] | None
) -> BinaryOutcomes:
    """Challenger and champion (None: no champion yet) on `y_true`, each wrong exactly where given."""
    champion = None if old_wrong is None else predictions(y_true, old_wrong)
    return BinaryOutcomes(y_true=y_true, challenger=predictions(y_true, new_wrong), champion=champion)


# Holdout (base period): messages 0-499 spam, 500-1999 ham. 60 missed spam + 20 false alarms for the
# champion vs 15 + 10 for the better model; SAME_ERRORS makes the champion's counts on other messages.
HOLDOUT = np.array([True] * 500 + [False] * 1500)
CHAMPION = [*range(60), *range(500, 520)]
BETTER = [*range(15), *range(500, 510)]
SAME_ERRORS = [*range(60, 120), *range(520, 540)]
HOLDOUT_BETTER = outcomes(HOLDOUT, new_wrong=BETTER, old_wrong=CHAMPION)
HOLDOUT_TIE = outcomes(HOLDOUT, new_wrong=SAME_ERRORS, old_wrong=CHAMPION)  # no worse, no better

# Window (newest labels): messages 0-99 spam, 100-399 ham; 20 missed + 10 false alarms vs 5 + 3.
WINDOW = np.array([True] * 100 + [False] * 300)
W_CHAMPION = [*range(20), *range(100, 110)]
W_BETTER = [*range(5), *range(100, 103)]
WINDOW_BETTER = outcomes(WINDOW, new_wrong=W_BETTER, old_wrong=W_CHAMPION)

SPAM_FLOORS = [Floor("f1", at_least=0.9), Floor("fpr", at_most=0.02)]


def spam_decision(window: BinaryOutcomes | None, holdout: BinaryOutcomes = HOLDOUT_TIE) -> GateDecision:
    return decide(metric="f1", holdout=holdout, window=window, floors=SPAM_FLOORS, policy=POLICY)


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


def _f1(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:  # (resamples, n) -> (resamples,)
    tp = (truth & pred).sum(1)
    return 2 * tp / (2 * tp + (~truth & pred).sum(1) + (truth & ~pred).sum(1))


def _fpr(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:  # (resamples, n) -> (resamples,)
    return (~truth & pred).sum(1) / (~truth).sum(1)


@pytest.mark.parametrize(
    ("fast", "metric"), [(bootstrap_f1_difference, _f1), (bootstrap_fpr_difference, _fpr)], ids=["f1", "fpr"]
)
def test_multinomial_bootstrap_matches_plain_index_resampling(fast: Callable[..., Any], metric: Any) -> None:
    # The multinomial shortcut must give the same distribution as resampling message indices. 70% ham in
    # 300 messages: no index resample lacks ham, so the slow FPR is always defined.
    rng = np.random.default_rng(7)
    y = rng.random(300) < 0.3
    old = np.where(rng.random(300) < 0.15, ~y, y)
    new = np.where(rng.random(300) < 0.10, ~y, y)
    result = fast(y_true=y, baseline_pred=old, candidate_pred=new, n_resamples=4000, seed=1)
    idx = rng.integers(0, 300, size=(4000, 300))
    slow = np.quantile(metric(y[idx], new[idx]) - metric(y[idx], old[idx]), [0.025, 0.975])
    assert result.ci_low == pytest.approx(slow[0], abs=0.01)
    assert result.ci_high == pytest.approx(slow[1], abs=0.01)


def test_fpr_difference_matches_hand_computed_rates() -> None:
    # Champion: 20 of 300 ham flagged; challenger: 2 of 300, but it misses 25 spam, which FPR must ignore.
    old, new = predictions(WINDOW, range(100, 120)), predictions(WINDOW, [*range(25), 100, 101])
    result = bootstrap_fpr_difference(y_true=WINDOW, baseline_pred=old, candidate_pred=new)
    assert result.estimate == pytest.approx(2 / 300 - 20 / 300)
    assert result.ci_low < result.estimate < result.ci_high < 0
    comparison = compare_classifiers(y_true=WINDOW, baseline_pred=old, candidate_pred=new)
    assert (comparison.candidate_fpr, comparison.baseline_fpr) == pytest.approx((2 / 300, 20 / 300))
    assert comparison.fpr_bootstrap == result
    # Without ham there is no false-positive rate to compare.
    spam_only = compare_classifiers(y_true=WINDOW[:100], baseline_pred=old[:100], candidate_pred=new[:100])
    assert (spam_only.fpr_bootstrap, spam_only.candidate_fpr, spam_only.baseline_fpr) == (None, None, None)


def test_mean_difference_interval_covers_the_true_difference_at_its_nominal_rate() -> None:
    rng = np.random.default_rng(3)
    covered = 0
    for seed in range(200):
        old = rng.uniform(0.0, 0.6, 200)
        new = old + rng.normal(0.03, 0.1, 200)  # true mean difference 0.03
        result = bootstrap_mean_difference(baseline=old, candidate=new, n_resamples=500, seed=seed)
        covered += result.ci_low <= 0.03 <= result.ci_high
    assert 0.88 <= covered / 200 <= 0.99


@pytest.mark.parametrize("bootstrap", [bootstrap_f1_difference, bootstrap_fpr_difference])
def test_binary_bootstraps_are_deterministic_for_a_seed(bootstrap: Callable[..., Any]) -> None:
    kwargs: dict[str, Any] = {"y_true": HOLDOUT, "baseline_pred": HOLDOUT_BETTER.champion}
    kwargs["candidate_pred"] = HOLDOUT_BETTER.challenger
    assert bootstrap(**kwargs, seed=5) == bootstrap(**kwargs, seed=5)
    assert bootstrap(**kwargs, seed=5) != bootstrap(**kwargs, seed=6)


def test_mean_bootstrap_is_deterministic_for_a_seed() -> None:
    old, new = np.linspace(0, 1, 300), np.linspace(0, 1, 300) ** 2
    first = bootstrap_mean_difference(baseline=old, candidate=new, seed=5)
    assert first == bootstrap_mean_difference(baseline=old, candidate=new, seed=5)
    assert first != bootstrap_mean_difference(baseline=old, candidate=new, seed=6)
    assert first.ci_low < first.estimate < first.ci_high


def test_clearly_better_spam_model_is_promoted_with_its_evidence() -> None:
    decision = spam_decision(WINDOW_BETTER, holdout=HOLDOUT_BETTER)
    window, holdout = decision.evidence["window"], decision.evidence["holdout"]
    assert decision.promote and decision.evidence["rule"] == "promoted"
    # 190/198 - 160/190 = +0.117 on the window; 970/995 - 880/960 = +0.058 on the holdout.
    assert decision.reason.startswith("promoted: f1 +0.117 [") and "McNemar p<0.001" in decision.reason
    assert decision.reason.endswith("; holdout Δ+0.058")
    assert window["bootstrap"]["ci_low"] > 0 and window["n"] == 400
    assert (window["challenger"]["f1"], window["champion"]["f1"]) == pytest.approx((190 / 198, 160 / 190))
    assert (window["challenger"]["fpr"], window["champion"]["fpr"]) == pytest.approx((3 / 300, 10 / 300))
    assert (window["mcnemar"]["b"], window["mcnemar"]["c"]) == (0, 22)
    assert (holdout["challenger"]["f1"], holdout["champion"]["f1"]) == pytest.approx((970 / 995, 880 / 960))
    assert (holdout["mcnemar"]["b"], holdout["mcnemar"]["c"]) == (0, 55)


@pytest.mark.parametrize(
    ("new_wrong", "old_wrong", "rule"),
    [
        pytest.param(W_CHAMPION, W_BETTER, "significantly_worse", id="clearly-worse"),
        pytest.param(W_CHAMPION, W_CHAMPION, "no_significant_improvement", id="same-model"),
        pytest.param([*range(20, 40), *range(110, 120)], W_CHAMPION, "no_significant_improvement",
                     id="same-accuracy"),
        # One fewer missed spam: a positive estimate (+0.006, past the margin), but noise.
        pytest.param([*range(19), *range(100, 110)], W_CHAMPION, "no_significant_improvement",
                     id="one-fewer-miss"),
    ],
)  # fmt: skip
def test_worse_or_tied_spam_model_is_refused_on_the_window(
    new_wrong: list[int], old_wrong: list[int], rule: str
) -> None:
    # The holdout clearly favours the challenger: the window, the traffic it would serve, still decides.
    window = outcomes(WINDOW, new_wrong=new_wrong, old_wrong=old_wrong)
    decision = spam_decision(window, holdout=HOLDOUT_BETTER)
    assert not decision.promote and decision.evidence["rule"] == rule
    assert decision.reason.startswith(f"refused: {rule.replace('_', ' ')} on the recent window (Δf1 ")


def test_gain_past_the_margin_is_refused_when_not_significant() -> None:
    # 20 spam + 40 ham: one fewer missed spam lifts F1 from 34/37 to 36/38 (+0.028), far past the margin,
    # yet it is one message's worth of noise.
    y = np.array([True] * 20 + [False] * 40)
    decision = spam_decision(outcomes(y, new_wrong=[0, 1], old_wrong=[0, 1, 2]))
    window = decision.evidence["window"]
    assert window["challenger"]["f1"] - window["champion"]["f1"] == pytest.approx(36 / 38 - 34 / 37)
    assert decision.evidence["checks"]["meets_margin"]
    assert decision.evidence["rule"] == "no_significant_improvement" and not decision.promote


def test_fpr_guardrail_refuses_better_f1_bought_with_false_positives() -> None:
    # Champion misses 40 spam and flags no ham; challenger misses nothing but flags 10 of 300 ham.
    decision = spam_decision(outcomes(WINDOW, new_wrong=range(100, 110), old_wrong=range(40)))
    assert decision.evidence["checks"]["window_significant_improvement"]
    assert decision.evidence["window"]["delta_fpr"] == pytest.approx(10 / 300)
    assert decision.evidence["rule"] == "fpr_guardrail" and not decision.promote
    assert decision.reason.startswith("refused: FPR rose +0.0333 > tolerance 0.005 on the window")


def test_accuracy_guardrail_refuses_better_f1_with_significantly_more_errors() -> None:
    # 400 spam in 100,000 ham: catching 200 more spam for 300 false alarms lifts F1 (400/600 -> 800/1100)
    # and keeps FPR within tolerance (+0.003), but makes 100 more mistakes in total.
    y = np.array([True] * 400 + [False] * 100_000)
    decision = spam_decision(outcomes(y, new_wrong=range(400, 700), old_wrong=range(200)))
    assert decision.evidence["checks"]["fpr_guardrail"] and decision.evidence["checks"]["meets_margin"]
    assert decision.evidence["rule"] == "accuracy_guardrail" and not decision.promote
    assert "b=300 > c=200" in decision.reason and decision.reason.endswith("on the window")


@pytest.mark.parametrize(
    ("wrong", "promote", "in_reason"),
    [
        (BETTER, True, "promoted: first model, f1 0.9749 >= 0.9000, fpr 0.0067 <= 0.0200 (n=2000)"),
        ([*range(90)], True, "f1 0.9011 >= 0.9000"),  # 820 / 910: just above the floor
        ([*range(110)], False, "f1 0.8764 < 0.9000"),  # 780 / 890
        ([*range(500, 540)], False, "fpr 0.0267 > 0.0200"),  # 40 / 1500
    ],
)
def test_first_spam_model_must_clear_absolute_floors(wrong: list[int], promote: bool, in_reason: str) -> None:
    decision = spam_decision(None, holdout=outcomes(HOLDOUT, new_wrong=wrong, old_wrong=None))
    assert decision.promote is promote
    assert decision.evidence["rule"] == ("promoted" if promote else "first_model_floors")
    assert in_reason in decision.reason
    assert decision.evidence["primary"] == "holdout"


RNG = np.random.default_rng(11)
CHAMPION_NDCG = RNG.uniform(0.1, 0.5, 1000)  # per-user NDCG@10 on the window, user i at index i for both
BETTER_NDCG = np.clip(CHAMPION_NDCG + RNG.normal(0.05, 0.05, 1000), 0.0, 1.0)
BASE_NDCG = RNG.uniform(0.1, 0.5, 500)  # the base-period holdout's users
NDCG_HOLDOUT_TIE = UnitScores(challenger=RNG.permutation(BASE_NDCG), champion=BASE_NDCG)
NDCG_FLOORS = [Floor("ndcg_at_10", at_least=0.2)]


def recsys(window: UnitScores | None, holdout: UnitScores = NDCG_HOLDOUT_TIE) -> GateDecision:
    return decide(metric="ndcg_at_10", holdout=holdout, window=window, floors=NDCG_FLOORS, policy=POLICY)


def test_clearly_better_recommender_is_promoted() -> None:
    decision = recsys(UnitScores(challenger=BETTER_NDCG, champion=CHAMPION_NDCG))
    assert decision.promote
    assert decision.reason.startswith("promoted: ndcg_at_10 +0.0") and "(n=1000)" in decision.reason
    bootstrap = decision.evidence["window"]["bootstrap"]
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
    decision = recsys(UnitScores(challenger=challenger, champion=CHAMPION_NDCG))
    assert not decision.promote and decision.evidence["rule"] == rule


@pytest.mark.parametrize(("level", "promote"), [(0.25, True), (0.15, False)])
def test_first_recommender_must_clear_the_ndcg_floor(level: float, promote: bool) -> None:
    decision = recsys(None, holdout=UnitScores(challenger=np.full(200, level)))
    assert decision.promote is promote
    assert decision.evidence["rule"] == ("promoted" if promote else "first_model_floors")
    assert decision.evidence["holdout"]["challenger"]["ndcg_at_10"] == pytest.approx(level)


def test_evidence_is_plain_json_and_carries_the_deciding_rule() -> None:
    decisions = [
        spam_decision(WINDOW_BETTER),
        spam_decision(outcomes(WINDOW, new_wrong=W_CHAMPION, old_wrong=W_CHAMPION)),
        spam_decision(WINDOW_BETTER, holdout=outcomes(HOLDOUT, new_wrong=CHAMPION, old_wrong=BETTER)),
        spam_decision(None),
        spam_decision(None, holdout=outcomes(HOLDOUT, new_wrong=BETTER, old_wrong=None)),
        recsys(UnitScores(challenger=BETTER_NDCG, champion=CHAMPION_NDCG)),
        recsys(None, holdout=UnitScores(challenger=BETTER_NDCG)),
    ]
    assert [d.evidence["rule"] for d in decisions] == [
        "promoted", "no_significant_improvement", "holdout_significantly_worse", "window_too_small",
        "promoted", "promoted", "promoted",
    ]  # fmt: skip
    for decision in decisions:
        evidence = decision.evidence
        assert json.loads(json.dumps(evidence, allow_nan=False)) == evidence
        assert {"metric", "rule", "policy", "holdout", "primary"} <= evidence.keys()
        assert evidence["policy"] == asdict(POLICY)
        # The slice that decided is in the evidence; both slices are always there (a first model's window
        # says it was not used), and so are the checks that ran.
        assert evidence["primary"] in evidence and {"window", "checks"} <= evidence.keys()
        assert (evidence["window"].get("status") == "not_used") is (evidence["primary"] == "holdout")
        assert decision.reason.startswith("promoted: " if decision.promote else "refused: ")
        assert "\n" not in decision.reason


ONE_CLASS = BinaryOutcomes(y_true=np.array([True, True]), challenger=np.array([True, False]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: BinaryOutcomes(y_true=np.array([1, 0, 1]), challenger=np.array([1, 0])), "same length"),
        (lambda: BinaryOutcomes(y_true=np.array([1, 0]), challenger=np.array([1, 0]),
                                champion=np.array([1])), "same length"),
        (lambda: BinaryOutcomes(y_true=np.array([1, 0, 2]), challenger=np.array([1, 0, 1])), "0/1"),
        (lambda: BinaryOutcomes(y_true=np.array([]), challenger=np.array([])), "empty"),
        (lambda: spam_decision(None, holdout=ONE_CLASS), "both classes"),
        (lambda: spam_decision(outcomes(WINDOW, new_wrong=[], old_wrong=None)),
         "pass the champion's outcomes on the window too"),
        (lambda: spam_decision(WINDOW_BETTER, holdout=outcomes(HOLDOUT, new_wrong=[], old_wrong=None)),
         "the holdout has none"),
        (lambda: UnitScores(challenger=[0.1, 0.2], champion=[0.1]), "same length"),
        (lambda: UnitScores(challenger=[0.1, 1.2], champion=[0.1, 0.2]), "[0.0, 1.0]"),
        (lambda: UnitScores(challenger=[float("nan")]), "NaN"),
        (lambda: GatePolicy(alpha=1.5), "alpha"),
        (lambda: GatePolicy(fpr_tolerance=-0.1), "fpr_tolerance"),
        (lambda: GatePolicy(min_window=0), "min_window"),
        (lambda: GatePolicy(n_bootstrap=10), "n_bootstrap"),
    ],
)  # fmt: skip
def test_bad_inputs_are_rejected_with_a_clear_message(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
