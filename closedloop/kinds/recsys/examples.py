"""Example history of the recommender, for the dashboard's benchmark and tests (`bench.dashboard`): logged
recommendations with users' reactions, and the gate's verdicts on two versions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from closedloop.gate import GateDecision
from closedloop.kinds.recsys.config import NAME
from closedloop.store import FeedbackIn, FeedbackKind, PredictionRecord


def example_prediction(rng: random.Random, index: int, at: datetime) -> PredictionRecord:
    """A logged top 10 of MovieLens 100K's movies for one of its users."""
    items = rng.sample(range(1, 1683), 10)
    return PredictionRecord(
        id=f"p{index:07d}", model=NAME, model_version="1", created_at=at,  # type: ignore[arg-type]
        input={"user_id": rng.randint(1, 943), "k": 10},
        output={"items": items, "scores": [1.0 - k / 10 for k in range(10)], "cold_start": False},
    )  # fmt: skip


def example_feedback(rng: random.Random, record: PredictionRecord, at: datetime) -> list[FeedbackIn]:
    """One or two reactions on the top five items, as users send them: mostly ratings (1-5 stars), some
    clicks and dismissals."""
    received = at + timedelta(seconds=30)
    events = []
    for n, item in enumerate(rng.sample(record.output["items"][:5], rng.choice((1, 1, 2)))):
        draw = rng.random()
        value: Any = item  # click / dismiss: the item id
        kind: FeedbackKind
        if draw < 0.7:
            kind, value = "rating", {"item_id": item, "rating": rng.choice((1, 2, 3, 4, 4, 5, 5))}
        else:
            kind = "click" if draw < 0.9 else "dismiss"
        events.append(
            FeedbackIn(
                event_id=f"e{record.id}-{n}",
                prediction_id=record.id,
                kind=kind,
                value=value,
                received_at=received,
            )
        )
    return events


def example_alias_moves() -> list[tuple[int, str, str | None, str, dict[str, Any]]]:
    """Champion moves as the gate audits them: (hours ago, to, from, reason, evidence) — a first champion."""
    return [(16, "1", None, "promoted: first model, NDCG@10 0.312 >= 0.200", {"rule": "promoted"})]


def example_gate_decisions() -> tuple[list[GateDecision], str]:
    """The gate's verdicts on v1 (first model, promoted) and v2 (refused); the champion they leave."""
    decisions = [
        GateDecision(True, "promoted: first model, NDCG@10 0.312 >= 0.200 (n=943 users)",
                     {"rule": "promoted", "metric": "ndcg_at_10",
                      "holdout": {"n": 943, "challenger": {"ndcg_at_10": 0.312}}}),
        GateDecision(False,
                     "refused: significantly worse (ΔNDCG@10 -0.018, 95% CI [-0.027, -0.009]), n=943 users",
                     {"rule": "significantly_worse", "metric": "ndcg_at_10",
                      "holdout": {"n": 943, "challenger": {"ndcg_at_10": 0.294},
                                  "champion": {"ndcg_at_10": 0.312},
                                  "bootstrap": {"estimate": -0.018, "ci_low": -0.027, "ci_high": -0.009}}}),
    ]  # fmt: skip
    return decisions, "1"
