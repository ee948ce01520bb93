"""The promotion gate's decision, for any model kind: a paired binary comparison (a classifier's decisions on
labelled examples) or a paired per-unit metric (one score per user, say), judged on two slices of evidence.

- **window** (primary): the newest labelled examples neither model trained on — an out-of-time backtest on
  the traffic the challenger would serve. A window under `min_window` units decides nothing: the challenger
  is refused until more evidence arrives.
- **holdout** (guardrail): a fixed set from the base period, older than every decision; being significantly
  worse there refuses the challenger, whatever the window says.

The rules, in the order checked, are listed in the package docstring (`closedloop.gate`); `decide` applies
them, and with no champion the kind's absolute floors decide on the holdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from closedloop.gate.statistics import (
    BootstrapResult,
    as_binary_array,
    as_finite_array,
    bootstrap_mean_difference,
    check_same_length,
    compare_classifiers,
    f1_score,
    false_positive_rate,
)

# (rule name, passed, refusal reason) for a check beyond the primary metric.
Guardrail = tuple[str, bool, str]


@dataclass(frozen=True)
class GatePolicy:
    """Statistical thresholds of the gate; recorded verbatim in every decision's evidence.

    `alpha` is the one-sided error rate of each directional question the gate asks — is the challenger
    better? is it worse? — so a reported interval is the two-sided (1 - 2 alpha) one and its lower bound
    above 0 is a one-sided test at alpha. (A superiority question has one direction; a two-sided interval's
    lower bound would spend half of alpha on the direction that promotes nobody.)"""

    alpha: float = 0.05
    min_improvement: float = 0.005
    fpr_tolerance: float = 0.005
    n_bootstrap: int = 2000
    seed: int = 0
    min_window: int = 50

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 0.5:
            raise ValueError(f"alpha must lie in (0, 0.5), got {self.alpha}")
        if self.n_bootstrap < 100:
            raise ValueError(f"n_bootstrap must be >= 100 for a stable interval, got {self.n_bootstrap}")
        if self.min_window < 1:
            raise ValueError(f"min_window must be >= 1, got {self.min_window}")
        negative = [name for name, value in asdict(self).items() if value < 0]  # numpy seeds too must be >= 0
        if negative:
            raise ValueError(f"policy fields must be >= 0, got negative {negative}")


@dataclass(frozen=True)
class Floor:
    """An absolute bound a first model must meet on the holdout: `metric` >= `at_least` or <= `at_most`."""

    metric: str
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError(f"floor on {self.metric!r} needs exactly one of at_least / at_most")

    def check(self, value: float) -> Guardrail:
        if self.at_least is not None and value < self.at_least:
            return f"floor_{self.metric}", False, f"{self.metric} {value:.4f} < {self.at_least:.4f}"
        if self.at_most is not None and value > self.at_most:
            return f"floor_{self.metric}", False, f"{self.metric} {value:.4f} > {self.at_most:.4f}"
        bound = f">= {self.at_least:.4f}" if self.at_least is not None else f"<= {self.at_most:.4f}"
        return f"floor_{self.metric}", True, f"{self.metric} {value:.4f} {bound}"


@dataclass(frozen=True, eq=False)  # eq=False: element-wise array comparison has no single truth value
class BinaryOutcomes:
    """Both models' binary decisions (each at its own threshold) on the same labelled examples; `champion`
    is None when there is no champion yet."""

    y_true: npt.NDArray[np.bool_]
    challenger: npt.NDArray[np.bool_]
    champion: npt.NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        arrays = {"y_true": self.y_true, "challenger": self.challenger}
        if self.champion is not None:
            arrays["champion"] = self.champion
        checked = {name: as_binary_array(name=name, values=values) for name, values in arrays.items()}
        check_same_length(**checked)
        for name, array in checked.items():
            object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return len(self.y_true)


@dataclass(frozen=True, eq=False)
class UnitScores:
    """One metric value in [0, 1] per unit (a user's NDCG@10), aligned so index i is the same unit for both
    models; `champion` is None when there is no champion yet."""

    challenger: npt.NDArray[np.float64]
    champion: npt.NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        new = as_finite_array(name="challenger", values=self.challenger, bounds=(0.0, 1.0))
        object.__setattr__(self, "challenger", new)
        if self.champion is not None:
            old = as_finite_array(name="champion", values=self.champion, bounds=(0.0, 1.0))
            check_same_length(challenger=new, champion=old)
            object.__setattr__(self, "champion", old)

    def __len__(self) -> int:
        return len(self.challenger)


Evidence = BinaryOutcomes | UnitScores


@dataclass(frozen=True)
class GateDecision:
    """The verdict, a one-line reason for humans, and JSON-serialisable evidence (MLflow tags, audit log)."""

    promote: bool
    reason: str
    evidence: dict[str, Any]


def decide(
    *,
    metric: str,
    holdout: Evidence,
    window: Evidence | None = None,
    floors: Sequence[Floor] = (),
    policy: GatePolicy,
) -> GateDecision:
    """Whether the challenger replaces the champion. `metric` names the primary metric in reasons: for
    `BinaryOutcomes` it is F1 of the positive class, for `UnitScores` the mean per-unit score."""
    evidence: dict[str, Any] = {"metric": metric, "policy": asdict(policy)}
    if window is not None and type(window) is not type(holdout):
        raise ValueError("the window and the holdout must hold the same kind of evidence")
    if holdout.champion is None:
        if window is not None and window.champion is not None:
            raise ValueError("the window has a champion's outcomes but the holdout has none")
        return _first_model(evidence, holdout, floors, metric)
    if window is not None and window.champion is None:
        raise ValueError("pass the champion's outcomes on the window too")
    evidence["holdout"] = _compare(holdout, policy, metric)
    if window is None or len(window) < policy.min_window:
        n = 0 if window is None else len(window)
        evidence["window"] = {"status": "too_small", "n": n}
        evidence["primary"] = "window"
        evidence["checks"] = {"window_large_enough": False}
        reason = (
            f"refused: {n} new labelled units that the challenger did not train on, fewer than the "
            f"{policy.min_window} a decision needs; waiting for more evidence"
        )
        return _finish(rule="window_too_small", reason=reason, evidence=evidence)
    evidence["window"] = _compare(window, policy, metric)
    evidence["primary"] = "window"
    return _against_champion(evidence, metric=metric, policy=policy)


def _first_model(
    evidence: dict[str, Any], holdout: Evidence, floors: Sequence[Floor], metric: str
) -> GateDecision:
    """No champion to beat: promote when every absolute floor holds on the holdout point estimates."""
    scores = _point_metrics(holdout, metric)
    evidence["holdout"] = {"n": len(holdout), "challenger": scores}
    evidence["window"] = {"status": "not_used", "note": "no champion to compare against"}
    evidence["primary"] = "holdout"
    unknown = [floor.metric for floor in floors if floor.metric not in scores]
    if unknown:
        raise ValueError(
            f"floors name metrics {unknown} that this evidence does not measure ({sorted(scores)})"
        )
    checks = [floor.check(scores[floor.metric]) for floor in floors]
    evidence["checks"] = {name: passed for name, passed, _ in checks}
    failures = [text for _, passed, text in checks if not passed]
    if failures:
        reason = f"refused: first model below floors ({', '.join(failures)})"
        return _finish(rule="first_model_floors", reason=reason, evidence=evidence)
    summary = ", ".join(text for _, _, text in checks) or "no floors set"
    return _finish(
        rule=None, reason=f"promoted: first model, {summary} (n={len(holdout)})", evidence=evidence
    )


def _point_metrics(outcomes: Evidence, metric: str) -> dict[str, float]:
    if isinstance(outcomes, UnitScores):
        return {metric: float(outcomes.challenger.mean())}
    y, pred = outcomes.y_true, outcomes.challenger
    if int(y.sum()) in (0, len(y)):
        raise ValueError("the holdout must hold both classes to measure F1 and FPR")
    return {"f1": f1_score(y_true=y, y_pred=pred), "fpr": false_positive_rate(y_true=y, y_pred=pred) or 0.0}


def _compare(outcomes: Evidence, policy: GatePolicy, metric: str) -> dict[str, Any]:
    """Evidence for one slice: both models' point metrics and the paired tests of their difference."""
    if isinstance(outcomes, UnitScores):
        assert outcomes.champion is not None
        result = bootstrap_mean_difference(
            baseline=outcomes.champion,
            candidate=outcomes.challenger,
            n_resamples=policy.n_bootstrap,
            seed=policy.seed,
            alpha=2 * policy.alpha,  # the (1 - 2 alpha) interval: one-sided tests at alpha
        )
        return {
            "status": "evaluated",
            "n": result.n,
            "challenger": {metric: float(outcomes.challenger.mean())},
            "champion": {metric: float(outcomes.champion.mean())},
            "bootstrap": asdict(result),
        }
    assert outcomes.champion is not None
    # Two primary metrics, F1 and FPR, each may carry a promotion: Bonferroni keeps the family-wise
    # false-promotion rate at alpha by testing each one-sided at alpha / 2, i.e. (1 - alpha) intervals.
    comparison = compare_classifiers(
        y_true=outcomes.y_true,
        baseline_pred=outcomes.champion,
        candidate_pred=outcomes.challenger,
        n_resamples=policy.n_bootstrap,
        seed=policy.seed,
        alpha=policy.alpha,
    )
    new_fpr, old_fpr = comparison.candidate_fpr, comparison.baseline_fpr
    return {
        "status": "evaluated",
        "n": comparison.n,
        "challenger": {"f1": comparison.candidate_f1, "fpr": new_fpr},
        "champion": {"f1": comparison.baseline_f1, "fpr": old_fpr},
        # None on a slice without negatives, where FPR is undefined.
        "delta_fpr": None if new_fpr is None or old_fpr is None else new_fpr - old_fpr,
        "bootstrap": asdict(comparison.bootstrap),
        "fpr_bootstrap": None if comparison.fpr_bootstrap is None else asdict(comparison.fpr_bootstrap),
        "mcnemar": asdict(comparison.mcnemar),
    }


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.3f}"


def _primary_rule(
    result: BootstrapResult, policy: GatePolicy, fewer_false_alarms: bool = False
) -> str | None:
    """Name of the first primary-metric rule the challenger fails, or None when it clears them. For a
    classifier, significantly fewer false alarms (`fewer_false_alarms`) is a gain in its own right — a spam
    filter is judged by the ham it loses — as long as F1 is not significantly worse."""
    if result.ci_high < 0:
        return "significantly_worse"
    if fewer_false_alarms:
        return None
    if result.ci_low <= 0:
        return "no_significant_improvement"
    if result.estimate < policy.min_improvement:
        return "below_margin"
    return None


def _interval(result: BootstrapResult, metric: str) -> str:
    ci = f"{result.confidence * 100:g}% CI [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    return f"Δ{metric} {_signed(result.estimate)}, {ci}, n={result.n}"


def _binary_guardrails(window: dict[str, Any], policy: GatePolicy) -> list[Guardrail]:
    """Spam-style checks beyond F1: users feel every false positive, and F1 ignores true negatives."""
    test, delta_fpr, tolerance = window["mcnemar"], window["delta_fpr"], policy.fpr_tolerance
    fprs = f"FPR {_rate(window['challenger']['fpr'])} vs {_rate(window['champion']['fpr'])}"
    more_errors = test["p_value"] < 2 * policy.alpha and test["b"] > test["c"]  # two-sided p, one direction
    more_text = f"significantly more errors (b={test['b']} > c={test['c']}, McNemar {_p(test['p_value'])})"
    return [
        (
            "fpr_guardrail",
            delta_fpr is None or delta_fpr <= tolerance,
            f"FPR rose {delta_fpr or 0.0:+.4f} > tolerance {tolerance:g} on the window ({fprs})",
        ),
        ("accuracy_guardrail", not more_errors, f"{more_text} on the window"),
    ]


def _against_champion(evidence: dict[str, Any], *, metric: str, policy: GatePolicy) -> GateDecision:
    # The rules read the evidence itself, so what gets logged is exactly what decided.
    window, holdout = evidence["window"], evidence["holdout"]
    result = BootstrapResult(**window["bootstrap"])
    held = BootstrapResult(**holdout["bootstrap"])
    guardrails = _binary_guardrails(window, policy) if "mcnemar" in window else []
    holdout_ok = held.ci_high >= 0
    evidence["checks"] = {
        "window_not_significantly_worse": result.ci_high >= 0,
        "window_significant_improvement": result.ci_low > 0,
        "meets_margin": result.estimate >= policy.min_improvement,
        **{name: passed for name, passed, _ in guardrails},
        "holdout_not_significantly_worse": holdout_ok,
    }
    suffix = f", McNemar {_p(window['mcnemar']['p_value'])}" if "mcnemar" in window else ""
    fpr = BootstrapResult(**window["fpr_bootstrap"]) if window.get("fpr_bootstrap") else None
    fewer_false_alarms = fpr is not None and fpr.ci_high < 0
    evidence["checks"]["window_fewer_false_alarms"] = fewer_false_alarms if fpr is not None else None
    rule = _primary_rule(result, policy, fewer_false_alarms)
    if rule is not None:
        headline = {
            "significantly_worse": "significantly worse on the recent window",
            "no_significant_improvement": "no significant improvement on the recent window",
            "below_margin": f"improvement on the recent window below margin {policy.min_improvement:g}",
        }[rule]
        reason = f"refused: {headline} ({_interval(result, metric)}){suffix}"
        return _finish(rule=rule, reason=reason, evidence=evidence)
    for name, passed, text in guardrails:
        if not passed:
            return _finish(rule=name, reason=f"refused: {text}", evidence=evidence)
    if not holdout_ok:
        reason = f"refused: significantly worse on the base-period holdout ({_interval(held, metric)})"
        return _finish(rule="holdout_significantly_worse", reason=reason, evidence=evidence)
    gain = f"{metric} {_signed(result.estimate)} [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    f1_alone = result.ci_low > 0 and result.estimate >= policy.min_improvement
    if fewer_false_alarms and fpr is not None and not f1_alone:
        gain = f"fewer false alarms, FPR {fpr.estimate:+.4f} [{fpr.ci_low:.4f}, {fpr.ci_high:.4f}], {gain}"
    reason = (
        f"promoted: {gain} on the recent window (n={result.n}){suffix}; holdout Δ{_signed(held.estimate)}"
    )
    return _finish(rule=None, reason=reason, evidence=evidence)


def _finish(*, rule: str | None, reason: str, evidence: dict[str, Any]) -> GateDecision:
    evidence["rule"] = rule or "promoted"
    return GateDecision(promote=rule is None, reason=reason, evidence=evidence)
