"""The learning-curve chart: measured points, both fitted curves and the extrapolated predictions.

The report gives each fit's parameters but not its formula's exact form, so each family's usual forms are
evaluated and the one that reproduces the measured means and the report's own predictions is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

GRID_POINTS = 40
Curve = Callable[[float], float]


def _power_forms(fit: dict[str, float]) -> list[Curve]:
    a, b, c = fit["a"], fit["b"], fit["c"]
    return [lambda n: a * n ** (-b) + c, lambda n: c - a * n ** (-b), lambda n: a * n**b + c]


def _log_forms(fit: dict[str, float]) -> list[Curve]:
    alpha, beta = fit["alpha"], fit["beta"]
    return [lambda n: alpha + beta * math.log(n), lambda n: alpha + beta * math.log10(n)]


def _best(forms: list[Curve], targets: list[tuple[float, float]]) -> Curve | None:
    def error(curve: Curve) -> float:
        try:
            return sum((curve(x) - y) ** 2 for x, y in targets)
        except (ArithmeticError, TypeError, ValueError):
            return math.inf

    scored = [(error(curve), curve) for curve in forms]
    best = min(scored, key=lambda pair: pair[0], default=(math.inf, None))
    return best[1] if math.isfinite(best[0]) else None


def learning_curve_chart(data: dict[str, Any]) -> dict[str, list[float | None]]:
    """Aligned chart series: x (training-set sizes, log-spaced up to 10x the largest) and one y per line."""
    sizes = [float(s) for s in data["sizes"]]
    mean, std = [float(m) for m in data["mean"]], [float(s) for s in data["std"]]
    largest = max(sizes)
    predicted = {float(k.rstrip("x")) * largest: float(v) for k, v in (data.get("predicted") or {}).items()}
    extrapolation = data.get("extrapolation") or {}
    targets = list(zip(sizes, mean, strict=True)) + list(predicted.items())
    power = _best(_power_forms(data["power_fit"]), targets) if data.get("power_fit") else None
    logarithmic = (
        _best(_log_forms(data["log_fit"]), list(zip(sizes, mean, strict=True)))
        if data.get("log_fit")
        else None
    )

    low, high = min(sizes), 10 * largest
    grid = {low * (high / low) ** (i / (GRID_POINTS - 1)) for i in range(GRID_POINTS)}
    actual_at = extrapolation.get("target_size")
    xs = sorted(grid | set(sizes) | set(predicted) | ({float(actual_at)} if actual_at else set()))
    measured = dict(zip(sizes, zip(mean, std, strict=True), strict=True))

    def at(curve: Curve | None, x: float) -> float | None:
        if curve is None:
            return None
        try:
            value = curve(x)
        except (ArithmeticError, ValueError):
            return None
        return value if math.isfinite(value) else None

    return {
        "x": xs,
        "mean": [measured[x][0] if x in measured else None for x in xs],
        "low": [measured[x][0] - measured[x][1] if x in measured else None for x in xs],
        "high": [measured[x][0] + measured[x][1] if x in measured else None for x in xs],
        "power": [at(power, x) for x in xs],
        "log": [at(logarithmic, x) for x in xs],
        "predicted": [predicted.get(x) for x in xs],
        "actual": [
            float(extrapolation["actual"])
            if actual_at and x == float(actual_at) and extrapolation.get("actual") is not None
            else None
            for x in xs
        ],
    }
