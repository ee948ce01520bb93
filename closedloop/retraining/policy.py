"""The gate's thresholds from the settings (the kinds judge with them)."""

from __future__ import annotations

from closedloop.gate import GatePolicy
from closedloop.settings import Settings


def gate_policy(settings: Settings) -> GatePolicy:
    return GatePolicy(
        alpha=settings.gate_alpha,
        min_improvement=settings.gate_min_improvement,
        fpr_tolerance=settings.gate_fpr_tolerance,
        n_bootstrap=settings.gate_n_bootstrap,
        seed=settings.seed,
        min_window=settings.gate_min_window,
    )
