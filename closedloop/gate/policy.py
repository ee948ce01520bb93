"""The promotion gate's decisions for the spam filter and the recommender.

The rules, their order and the reasons for each are listed in the package docstring (`closedloop.gate`);
`_against_champion` applies them and `_first_model` applies the absolute floors when there is no champion.
"""

from __future__ import annotations

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
    """Thresholds of the gate; recorded verbatim in every decision's evidence."""

    alpha: float = 0.05
    min_improvement: float = 0.005
    fpr_tolerance: float = 0.005
    n_bootstrap: int = 2000
    seed: int = 0
    min_recent: int = 50
    spam_floor_f1: float = 0.90
    spam_floor_fpr: float = 0.02
    recsys_floor_ndcg: float = 0.20

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")
        if self.n_bootstrap < 100:
            raise ValueError(f"n_bootstrap must be >= 100 for a stable interval, got {self.n_bootstrap}")
        if self.min_recent < 1:
            raise ValueError(f"min_recent must be >= 1, got {self.min_recent}")
        negative = [name for name, value in asdict(self).items() if value < 0]  # numpy seeds too must be >= 0
        if negative:
            raise ValueError(f"policy fields must be >= 0, got negative {negative}")


@dataclass(frozen=True, eq=False)  # eq=False: element-wise array comparison has no single truth value
class SpamPredictions:
    """One model's binary spam decisions (at its own threshold) on a labeled set of messages."""

    y_true: npt.NDArray[np.bool_]
    y_pred: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        y_true = as_binary_array(name="y_true", values=self.y_true)
        y_pred = as_binary_array(name="y_pred", values=self.y_pred)
        check_same_length(y_true=y_true, y_pred=y_pred)
        object.__setattr__(self, "y_true", y_true)
        object.__setattr__(self, "y_pred", y_pred)


@dataclass(frozen=True)
class GateDecision:
    """The verdict, a one-line reason for humans, and JSON-serialisable evidence (MLflow tags, audit log)."""

    promote: bool
    reason: str
    evidence: dict[str, Any]


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.3f}"


def _primary_rule(result: BootstrapResult, policy: GatePolicy) -> str | None:
    """Name of the first primary-metric rule the challenger fails, or None when it clears all three."""
    if result.ci_high < 0:
        return "significantly_worse"
    if result.ci_low <= 0:
        return "no_significant_improvement"
    if result.estimate < policy.min_improvement:
        return "below_margin"
    return None


def _refusal(rule: str, result: BootstrapResult, metric: str, policy: GatePolicy) -> str:
    headline = {
        "significantly_worse": "significantly worse",
        "no_significant_improvement": "no significant improvement",
        "below_margin": f"improvement below margin {policy.min_improvement:g}",
        "recent_significantly_worse": f"significantly worse on the recent slice of {result.n}",
    }[rule]
    ci = f"{result.confidence:.0%} CI [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    return f"refused: {headline} (Δ{metric} {_signed(result.estimate)}, {ci})"


def _finish(*, rule: str | None, reason: str, evidence: dict[str, Any]) -> GateDecision:
    evidence["rule"] = rule or "promoted"
    return GateDecision(promote=rule is None, reason=reason, evidence=evidence)


def _first_model(*, evidence: dict[str, Any], floors: list[Guardrail], summary: str) -> GateDecision:
    """No champion to beat: promote when every absolute floor holds on the holdout point estimates."""
    evidence["recent"] = {"status": "not_used", "note": "no champion to compare against"}
    evidence["checks"] = {name: passed for name, passed, _ in floors}
    failures = [text for _, passed, text in floors if not passed]
    if failures:
        reason = f"refused: first model below floors ({', '.join(failures)})"
        return _finish(rule="first_model_floors", reason=reason, evidence=evidence)
    return _finish(rule=None, reason=f"promoted: first model, {summary}", evidence=evidence)


def _recent_skipped(
    *, challenger: Any, champion: Any, unit: str, policy: GatePolicy
) -> dict[str, Any] | None:
    """Evidence saying why the recent slice is not compared, or None when it should be."""
    if (challenger is None) != (champion is None):
        raise ValueError("pass the recent slice for both challenger and champion, or for neither")
    if challenger is None:
        return {"status": "not_provided"}
    n = len(challenger.y_true) if isinstance(challenger, SpamPredictions) else int(np.size(challenger))
    if n < policy.min_recent:
        note = f"recent slice has {n} {unit} < min_recent {policy.min_recent}; decided on holdout alone"
        return {"status": "too_small", "n": n, "note": note}
    return None


def _against_champion(
    *, evidence: dict[str, Any], guardrails: list[Guardrail], metric: str, suffix: str, policy: GatePolicy
) -> GateDecision:
    """Apply rules 1-6 of the package docstring to `evidence["holdout"]` and `evidence["recent"]`, in order.

    `suffix` closes the primary-metric reasons (the McNemar p-value for spam, the user count for recsys).
    """
    # The rules read the evidence itself, so what gets logged is exactly what decided.
    result = BootstrapResult(**evidence["holdout"]["bootstrap"])
    recent = evidence["recent"]
    recent_result = BootstrapResult(**recent["bootstrap"]) if recent["status"] == "evaluated" else None
    recent_ok = None if recent_result is None else recent_result.ci_high >= 0
    evidence["checks"] = {
        "not_significantly_worse": result.ci_high >= 0,
        "significant_improvement": result.ci_low > 0,
        "meets_margin": result.estimate >= policy.min_improvement,
        **{name: passed for name, passed, _ in guardrails},
        "recent_not_significantly_worse": recent_ok,
    }
    rule = _primary_rule(result, policy)
    if rule is not None:
        return _finish(rule=rule, reason=_refusal(rule, result, metric, policy) + suffix, evidence=evidence)
    for name, passed, text in guardrails:
        if not passed:
            return _finish(rule=name, reason=f"refused: {text}", evidence=evidence)
    if recent_result is not None and not recent_ok:
        rule = "recent_significantly_worse"
        return _finish(rule=rule, reason=_refusal(rule, recent_result, metric, policy), evidence=evidence)
    reason = f"promoted: {metric} {_signed(result.estimate)} [{result.ci_low:.3f}, {result.ci_high:.3f}]"
    if recent["status"] == "too_small":
        suffix += f"; recent slice too small (n={recent['n']})"
    return _finish(rule=None, reason=reason + suffix, evidence=evidence)


def _compare_spam(challenger: Any, champion: Any, *, policy: GatePolicy) -> dict[str, Any]:
    """Evidence for one slice: both models' F1 and FPR, the F1 bootstrap and McNemar's test."""
    if not np.array_equal(challenger.y_true, champion.y_true):
        raise ValueError("challenger and champion must be scored on the same messages with the same labels")
    comparison = compare_classifiers(
        y_true=challenger.y_true,
        baseline_pred=champion.y_pred,
        candidate_pred=challenger.y_pred,
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
        "delta_f1": comparison.bootstrap.estimate,
        # None on a recent slice without ham, where FPR is undefined.
        "delta_fpr": None if new_fpr is None or old_fpr is None else new_fpr - old_fpr,
        "bootstrap": asdict(comparison.bootstrap),
        "mcnemar": asdict(comparison.mcnemar),
    }


def decide_spam(
    *,
    challenger: SpamPredictions,
    champion: SpamPredictions | None,
    recent_challenger: SpamPredictions | None = None,
    recent_champion: SpamPredictions | None = None,
    policy: GatePolicy,
) -> GateDecision:
    """Decide whether a spam challenger replaces the champion (primary metric: F1 of the spam class)."""
    n = len(challenger.y_true)
    if int(challenger.y_true.sum()) in (0, n):
        raise ValueError("the holdout must contain both spam and ham messages to measure F1 and FPR")
    evidence: dict[str, Any] = {"task": "spam", "metric": "f1", "policy": asdict(policy)}
    if champion is None:
        if recent_champion is not None:
            raise ValueError("recent_champion was given but there is no champion")
        f1 = f1_score(y_true=challenger.y_true, y_pred=challenger.y_pred)
        fpr = false_positive_rate(y_true=challenger.y_true, y_pred=challenger.y_pred) or 0.0  # ham exists
        evidence["holdout"] = {"n": n, "challenger": {"f1": f1, "fpr": fpr}}
        f1_floor, fpr_floor = policy.spam_floor_f1, policy.spam_floor_fpr
        floors = [
            ("floor_f1", f1 >= f1_floor, f"F1 {f1:.3f} < {f1_floor:.3f}"),
            ("floor_fpr", fpr <= fpr_floor, f"FPR {fpr:.4f} > {fpr_floor:.4f}"),
        ]
        summary = f"F1 {f1:.3f} >= {f1_floor:.3f}, FPR {fpr:.4f} <= {fpr_floor:.4f} (n={n})"
        return _first_model(evidence=evidence, floors=floors, summary=summary)

    holdout = evidence["holdout"] = _compare_spam(challenger, champion, policy=policy)
    evidence["recent"] = _recent_skipped(
        challenger=recent_challenger, champion=recent_champion, unit="messages", policy=policy
    ) or _compare_spam(recent_challenger, recent_champion, policy=policy)
    test, delta_fpr, tolerance = holdout["mcnemar"], holdout["delta_fpr"], policy.fpr_tolerance
    mcnemar_p = _p(test["p_value"])
    fprs = f"FPR {holdout['challenger']['fpr']:.4f} vs {holdout['champion']['fpr']:.4f}"
    more_errors = test["p_value"] < policy.alpha and test["b"] > test["c"]
    fpr_rose = f"FPR rose {delta_fpr:+.4f} > tolerance {tolerance:g} ({fprs})"
    more_text = f"significantly more errors (b={test['b']} > c={test['c']}, McNemar {mcnemar_p})"
    guardrails = [
        ("fpr_guardrail", delta_fpr <= tolerance, fpr_rose),
        ("accuracy_guardrail", not more_errors, f"{more_text} despite ΔF1 {_signed(holdout['delta_f1'])}"),
    ]
    return _against_champion(
        evidence=evidence, guardrails=guardrails, metric="F1", suffix=f", McNemar {mcnemar_p}", policy=policy
    )


def _compare_recsys(challenger: Any, champion: Any, *, policy: GatePolicy) -> dict[str, Any]:
    """Evidence for one slice: both models' mean NDCG@10 and the bootstrap of their per-user difference."""
    new = as_finite_array(name="challenger_ndcg", values=challenger, bounds=(0.0, 1.0))
    old = as_finite_array(name="champion_ndcg", values=champion, bounds=(0.0, 1.0))
    check_same_length(challenger_ndcg=new, champion_ndcg=old)
    result = bootstrap_mean_difference(
        baseline=old, candidate=new, n_resamples=policy.n_bootstrap, seed=policy.seed, alpha=policy.alpha
    )
    return {
        "status": "evaluated",
        "n": result.n,
        "challenger": {"ndcg_at_10": float(new.mean())},
        "champion": {"ndcg_at_10": float(old.mean())},
        "delta_ndcg_at_10": result.estimate,
        "bootstrap": asdict(result),
    }


def decide_recsys(
    *,
    challenger_ndcg: npt.ArrayLike,
    champion_ndcg: npt.ArrayLike | None,
    recent_challenger_ndcg: npt.ArrayLike | None = None,
    recent_champion_ndcg: npt.ArrayLike | None = None,
    policy: GatePolicy,
) -> GateDecision:
    """Decide whether a recommender challenger replaces the champion (primary metric: mean NDCG@10).

    Each array holds one NDCG@10 per user, aligned so that index i is the same user for both models.
    """
    evidence: dict[str, Any] = {"task": "recsys", "metric": "ndcg_at_10", "policy": asdict(policy)}
    if champion_ndcg is None:
        if recent_champion_ndcg is not None:
            raise ValueError("recent_champion_ndcg was given but there is no champion")
        per_user = as_finite_array(name="challenger_ndcg", values=challenger_ndcg, bounds=(0.0, 1.0))
        ndcg, floor, n = float(per_user.mean()), policy.recsys_floor_ndcg, len(per_user)
        evidence["holdout"] = {"n": n, "challenger": {"ndcg_at_10": ndcg}}
        floors = [("floor_ndcg", ndcg >= floor, f"NDCG@10 {ndcg:.3f} < {floor:.3f}")]
        summary = f"NDCG@10 {ndcg:.3f} >= {floor:.3f} (n={n} users)"
        return _first_model(evidence=evidence, floors=floors, summary=summary)

    evidence["holdout"] = _compare_recsys(challenger_ndcg, champion_ndcg, policy=policy)
    new, old = recent_challenger_ndcg, recent_champion_ndcg
    evidence["recent"] = _recent_skipped(
        challenger=new, champion=old, unit="users", policy=policy
    ) or _compare_recsys(new, old, policy=policy)
    suffix = f", n={evidence['holdout']['n']} users"
    return _against_champion(evidence=evidence, guardrails=[], metric="NDCG@10", suffix=suffix, policy=policy)
