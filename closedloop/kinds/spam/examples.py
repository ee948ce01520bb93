"""Example history of the spam filter, for the dashboard's benchmark and tests (`bench.dashboard`): logged
predictions with users' reports, the gate's verdicts on three versions, and the curve its reports draw."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from closedloop.gate import GateDecision
from closedloop.kinds.spam.config import NAME
from closedloop.store import FeedbackIn, FeedbackKind, PredictionRecord

BOOTSTRAP = {"estimate": 0.021, "ci_low": 0.008, "ci_high": 0.034, "confidence": 0.95, "n": 1200}
TIE = {"estimate": 0.0, "ci_low": -0.004, "ci_high": 0.005, "confidence": 0.95, "n": 1200}


def example_prediction(rng: random.Random, index: int, at: datetime) -> PredictionRecord:
    """A logged decision on message `index` at `at`, its probability drawn uniformly."""
    p = rng.random()
    text = f"message {index}"
    return PredictionRecord(
        id=f"p{index:07d}", model=NAME, model_version="2", created_at=at, score=p,  # type: ignore[arg-type]
        input={"subject": text, "body": text, "text": text},
        output={"spam_probability": p, "is_spam": p >= 0.5, "threshold": 0.5},
    )  # fmt: skip


def example_feedback(rng: random.Random, record: PredictionRecord, at: datetime) -> list[FeedbackIn]:
    """A user's report 30 s after the decision, disagreeing with it 8 % of the time."""
    truth = record.output["is_spam"] != (rng.random() < 0.08)
    kind: FeedbackKind = "report_spam" if truth else "not_spam"
    received = at + timedelta(seconds=30)
    return [FeedbackIn(event_id=f"e{record.id}", prediction_id=record.id, kind=kind, received_at=received)]


def example_alias_moves() -> list[tuple[int, str, str | None, str, dict[str, Any]]]:
    """Champion moves as the gate audits them: (hours ago, to, from, reason, evidence) — a first champion,
    then a promotion with full evidence."""
    return [
        (20, "1", None, "promoted: first model, F1 0.942 >= 0.900",
         {"rule": "promoted", "holdout": {"n": 1200}}),
        (7, "2", "1", "promoted: F1 +0.021 [0.008, 0.034], McNemar p=0.004",
         {"rule": "promoted", "metric": "f1",
          "holdout": {"n": 1200, "bootstrap": BOOTSTRAP, "mcnemar": {"p_value": 0.004, "b": 9, "c": 31}}}),
    ]  # fmt: skip


def example_gate_decisions() -> tuple[list[GateDecision], str]:
    """The gate's verdicts on v1 (first model, promoted), v2 (promoted over v1) and v3 (refused); the
    champion they leave."""
    decisions = [
        GateDecision(
            True,
            "promoted: first model, F1 0.942 >= 0.900, FPR 0.0060 <= 0.0200 (n=1200)",
            {
                "rule": "promoted",
                "metric": "f1",
                "holdout": {"n": 1200, "challenger": {"f1": 0.942, "fpr": 0.006}},
            },
        ),
        GateDecision(
            True,
            "promoted: F1 +0.021 [0.008, 0.034], McNemar p=0.004",
            {
                "rule": "promoted",
                "metric": "f1",
                "holdout": {
                    "n": 1200,
                    "challenger": {"f1": 0.963, "fpr": 0.005},
                    "champion": {"f1": 0.942, "fpr": 0.006},
                    "bootstrap": BOOTSTRAP,
                    "mcnemar": {"p_value": 0.004, "b": 9, "c": 31},
                },
            },
        ),
        GateDecision(
            False,
            "refused: no significant improvement (ΔF1 +0.000, 95% CI [-0.004, 0.005]), McNemar p=1.000",
            {
                "rule": "no_significant_improvement",
                "metric": "f1",
                "holdout": {
                    "n": 1200,
                    "challenger": {"f1": 0.963, "fpr": 0.005},
                    "champion": {"f1": 0.963, "fpr": 0.005},
                    "bootstrap": TIE,
                    "mcnemar": {"p_value": 1.0, "b": 3, "c": 3},
                },
            },
        ),
    ]
    return decisions, "2"
