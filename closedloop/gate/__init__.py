"""The statistical promotion gate: a retrained challenger replaces the champion only when measurably better.

Pure functions over predictions and per-user metrics; MLflow, SQL and Prefect wiring live elsewhere.

Rules in the order checked; the first that fails decides and is named in `evidence["rule"]`:

1. `significantly_worse`: the (1 - alpha) paired-bootstrap CI of the primary-metric difference is below 0.
2. `no_significant_improvement`: the CI's lower bound is not above 0. Requiring significance, not just a
   point estimate past the margin, makes a tie within noise a refusal even when noise favours the challenger.
3. `below_margin`: the point estimate is below `min_improvement`. The margin sits on the point estimate, not
   the CI's lower bound: rule 2 already guards against noise, and `lower >= margin` would need holdouts
   several times larger before a real small gain could ever be promoted.
4. spam, `fpr_guardrail`: challenger FPR - champion FPR > `fpr_tolerance` on the holdout. A point check on
   purpose: users feel every false positive, so a rise gets no "not significant" benefit of the doubt.
5. spam, `accuracy_guardrail`: McNemar p < alpha with b > c, i.e. significantly more mistakes in total.
   F1 ignores true negatives; this stops an F1 gain bought with extra errors.
6. `recent_significantly_worse`: the CI on the recent labeled slice is below 0. The slice is small, so only
   a significant loss refuses; one under `min_recent` is noted in the evidence and the holdout decides alone.

With no champion, absolute floors on the holdout point estimates decide (`first_model_floors`).
"""

from closedloop.gate.policy import GateDecision, GatePolicy, SpamPredictions, decide_recsys, decide_spam
from closedloop.gate.statistics import (
    BootstrapResult,
    ClassifierComparison,
    McNemarResult,
    bootstrap_f1_difference,
    bootstrap_mean_difference,
    compare_classifiers,
    mcnemar,
)

__all__ = [
    "BootstrapResult",
    "ClassifierComparison",
    "GateDecision",
    "GatePolicy",
    "McNemarResult",
    "SpamPredictions",
    "bootstrap_f1_difference",
    "bootstrap_mean_difference",
    "compare_classifiers",
    "decide_recsys",
    "decide_spam",
    "mcnemar",
]
