"""The `gate` suite: what difference the gate can detect on a window of its minimum size.

Simulation with the gate's own `decide`: windows of `gate_min_window` units (and larger ones) drawn from a
stated world, a challenger better by δ; the smallest δ promoted in at least 80 % of 200 draws is the
detectable difference. The gate judges two kinds of evidence, whatever the model: binary decisions and
per-unit scores; the worlds are those of the shipped models (the suite runs no model, so it names none).

- binary decisions (`BinaryOutcomes`): items with a 30 % positive share, a champion catching 85 % of the
  positives at an FPR of 5 % (as the spam filter does); the challenger catches more (δ in recall) or
  wrongly flags fewer negatives (δ in FPR).
- per-unit scores (`UnitScores`): per-user NDCG@10 of the champion around 0.30 (the recommender); the
  challenger's per-user difference is normal with mean δ and the spread measured on the replay's windows
  (sd 0.075 per user, from the 90 % intervals the replay benchmark's gate logged: half-width × √n / 1.645).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.report import markdown_table
from closedloop.gate import BinaryOutcomes, GatePolicy, UnitScores, decide
from closedloop.settings import Settings

DRAWS = 200
POWER = 0.8
POSITIVE_SHARE, RECALL, FPR = 0.3, 0.85, 0.05
SIZES = (200, 500)  # window sizes reported beside the minimum
NDCG_MEAN, NDCG_SD = 0.30, 0.075


def _binary_window(n: int, rng: np.random.Generator, *, d_recall: float, d_fpr: float) -> BinaryOutcomes:
    y = rng.random(n) < POSITIVE_SHARE
    u = rng.random(n)  # one draw per item: the better model errs on a subset of the worse one's errors
    champion = np.where(y, u < RECALL, u < FPR)
    challenger = np.where(y, u < RECALL + d_recall, u < max(FPR - d_fpr, 0.0))
    return BinaryOutcomes(y_true=y, challenger=challenger, champion=champion)


def _binary_holdout(n: int, rng: np.random.Generator) -> BinaryOutcomes:
    y = rng.random(n) < POSITIVE_SHARE
    same = np.where(y, rng.random(n) < RECALL, rng.random(n) < FPR)
    return BinaryOutcomes(y_true=y, challenger=same, champion=same)


def _unit_window(n: int, rng: np.random.Generator, *, delta: float) -> UnitScores:
    old = np.clip(rng.normal(NDCG_MEAN, 0.2, n), 0.0, 1.0)
    new = np.clip(old + rng.normal(delta, NDCG_SD, n), 0.0, 1.0)
    return UnitScores(challenger=new, champion=old)


def _promoted_share(make: Any, holdout: Any, policy: GatePolicy, metric: str, seed: int) -> float:
    rng = np.random.default_rng(seed)
    wins = 0
    for _ in range(DRAWS):
        decision = decide(metric=metric, holdout=holdout(rng), window=make(rng), policy=policy)
        wins += decision.promote
    return wins / DRAWS


def _smallest(deltas: list[float], share: Any) -> dict[str, Any]:
    curve = {f"{d:g}": share(d) for d in deltas}
    detected = next((d for d in deltas if curve[f"{d:g}"] >= POWER), None)
    return {"detectable": detected, "promoted_share": curve}


def _at_size(n: int, policy: GatePolicy) -> dict[str, Any]:
    def units(rng: np.random.Generator) -> UnitScores:
        same = np.clip(rng.normal(NDCG_MEAN, 0.2, 400), 0.0, 1.0)
        return UnitScores(challenger=same, champion=same)

    def holdout(rng: np.random.Generator) -> BinaryOutcomes:
        return _binary_holdout(400, rng)

    return {
        "binary_recall": _smallest(
            [0.02, 0.04, 0.06, 0.08, 0.1, 0.15],
            lambda d: _promoted_share(
                lambda rng: _binary_window(n, rng, d_recall=d, d_fpr=0.0), holdout, policy, "f1", 2
            ),
        ),
        "binary_fpr": _smallest(
            [0.01, 0.02, 0.03, 0.04, 0.05],
            lambda d: _promoted_share(
                lambda rng: _binary_window(n, rng, d_recall=0.0, d_fpr=d), holdout, policy, "f1", 1
            ),
        ),
        "units_ndcg": _smallest(
            [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04],
            lambda d: _promoted_share(
                lambda rng: _unit_window(n, rng, delta=d), units, policy, "ndcg_at_10", 3
            ),
        ),
    }


def run(only: str | None = None) -> dict[str, Any]:
    settings = Settings()
    n = settings.gate_min_window
    policy = GatePolicy(alpha=settings.gate_alpha, n_bootstrap=500, min_window=n)
    sizes = sorted({n, *SIZES})
    return {
        "gate": {
            "min_window": n,
            "alpha": settings.gate_alpha,
            "draws": DRAWS,
            "by_size": {str(size): _at_size(size, policy) for size in sizes},
        }
    }


def tables(results: dict[str, Any]) -> str:
    r = results["gate"]
    sizes = list(r["by_size"])

    def cell(size: str, key: str) -> str:
        found = r["by_size"][size][key]["detectable"]
        return "—" if found is None else f"{found:g}"

    rows = [
        [
            "binary: the champion catches 85 % of positives at FPR 5 %; the challenger catches more "
            "(recall + δ)",
            *(cell(size, "binary_recall") for size in sizes),
        ],
        [
            "binary: the same champion; the challenger flags fewer negatives (FPR − δ)",
            *(cell(size, "binary_fpr") for size in sizes),
        ],
        [
            "per-unit scores: per-user NDCG@10 better by δ on average (per-user sd 0.075)",
            *(cell(size, "units_ndcg") for size in sizes),
        ],
    ]
    header = ["world (30 % positives; per-user NDCG around 0.30)", *(f"window of {size}" for size in sizes)]
    return (
        f"What the gate can detect on a window of its minimum size, {r['min_window']} items or users "
        f"(`CLOSEDLOOP_GATE_MIN_WINDOW`), and on larger ones; one-sided α {r['alpha']} per question: the "
        f"smallest gain δ promoted in ≥ 80 % of {r['draws']} simulated windows, — where none of the gains "
        "tried was (`python -m bench --only gate`).\n\n" + markdown_table(header, rows) + "\n"
    )
