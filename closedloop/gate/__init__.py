"""The statistical promotion gate: a retrained challenger replaces the champion only when measurably better
on the traffic it would serve, and not significantly worse on what came before.

Pure functions over paired outcomes; MLflow, SQL and Prefect wiring live elsewhere. Two kinds of evidence
cover every model kind: `BinaryOutcomes` (a classifier's decisions on labelled examples; primary metric F1,
plus the FPR and accuracy guardrails) and `UnitScores` (one metric value per unit, e.g. a user's NDCG@10;
primary metric the mean). Each decision reads two slices, both older than the decision itself:

- the **window**: the newest labelled examples that neither model trained on (an out-of-time backtest);
- the **holdout**: a fixed sample of the base period, the non-regression guardrail.

Rules in the order checked; the first that fails decides and is named in `evidence["rule"]`:

1. `window_too_small`: fewer than `min_window` units in the window — the challenger waits for evidence.
2. `significantly_worse`: the paired-bootstrap CI of the window's primary-metric difference is below 0.
   `alpha` is one-sided per question (better? worse?), so intervals are the two-sided (1 - 2 alpha) ones.
3. `no_significant_improvement`: the CI's lower bound is not above 0. Requiring significance, not just a
   point estimate past the margin, makes a tie within noise a refusal even when noise favours the challenger.
   A classifier may instead carry its gain in false alarms: a CI of the FPR difference entirely below 0
   (significantly fewer ham lost — what a spam filter is judged by) counts as the improvement, F1 not being
   significantly worse. With two metrics able to promote, each is tested at alpha / 2 (Bonferroni).
4. `below_margin`: the point estimate is below `min_improvement` (rule 3 already guards against noise).
5. binary, `fpr_guardrail`: challenger FPR - champion FPR > `fpr_tolerance` on the window. A point check on
   purpose: users feel every false positive, so a rise gets no benefit of the doubt.
6. binary, `accuracy_guardrail`: McNemar p < alpha with b > c on the window, i.e. significantly more
   mistakes in total (F1 ignores true negatives).
7. `holdout_significantly_worse`: the CI on the base-period holdout is below 0.

With no champion, the kind's absolute floors on the holdout point estimates decide (`first_model_floors`).
"""

from closedloop.gate.policy import (
    BinaryOutcomes,
    Evidence,
    Floor,
    GateDecision,
    GatePolicy,
    UnitScores,
    decide,
)
from closedloop.gate.statistics import (
    BootstrapResult,
    ClassifierComparison,
    McNemarResult,
    bootstrap_f1_difference,
    bootstrap_fpr_difference,
    bootstrap_mean_difference,
    compare_classifiers,
    mcnemar,
)

__all__ = [
    "BinaryOutcomes",
    "BootstrapResult",
    "ClassifierComparison",
    "Evidence",
    "Floor",
    "GateDecision",
    "GatePolicy",
    "McNemarResult",
    "UnitScores",
    "bootstrap_f1_difference",
    "bootstrap_fpr_difference",
    "bootstrap_mean_difference",
    "compare_classifiers",
    "decide",
    "mcnemar",
]
