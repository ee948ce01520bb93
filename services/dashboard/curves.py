"""The learning-curve chart: measured points with their spread, both fitted curves out to 10× the data, the
predictions at 2× and 10×, and the half-data extrapolation next to what was measured there.

The fits are drawn with the learning-curve flow's own definitions (`models.curves`): the power law models
the error, score(n) = 1 − (a·n^(−b) + c); the log fit models the score, score(n) = α + β·ln n.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from models.curves import LogFit, PowerFit

GRID_POINTS = 40


def learning_curve_chart(data: dict[str, Any]) -> dict[str, list[float | None]]:
    """Aligned chart series: x (training-set sizes, log-spaced up to 10x the largest) and one y per line."""
    sizes = [float(s) for s in data["sizes"]]
    mean, std = [float(m) for m in data["mean"]], [float(s) for s in data["std"]]
    largest = max(sizes)
    predicted = {float(k.rstrip("x")) * largest: float(v) for k, v in (data.get("predicted") or {}).items()}
    extrapolation = data.get("extrapolation") or {}
    target = extrapolation.get("target_size")
    power = _fit(PowerFit, data.get("power_fit"), ("a", "b", "c"))
    logarithmic = _fit(LogFit, data.get("log_fit"), ("alpha", "beta"))

    low, high = min(sizes), 10 * largest
    grid = {low * (high / low) ** (i / (GRID_POINTS - 1)) for i in range(GRID_POINTS)}
    xs = sorted(grid | set(sizes) | set(predicted) | ({float(target)} if target else set()))
    measured = dict(zip(sizes, zip(mean, std, strict=True), strict=True))

    def at_target(key: str, x: float) -> float | None:
        value = extrapolation.get(key)
        return float(value) if target and x == float(target) and value is not None else None

    return {
        "x": xs,
        "mean": [measured[x][0] if x in measured else None for x in xs],
        "low": [measured[x][0] - measured[x][1] if x in measured else None for x in xs],
        "high": [measured[x][0] + measured[x][1] if x in measured else None for x in xs],
        "power": _curve(power, xs),
        "log": _curve(logarithmic, xs),
        "predicted": [predicted.get(x) for x in xs],
        "extrapolated": [at_target("predicted", x) for x in xs],
        "actual": [at_target("actual", x) for x in xs],
    }


def _fit(
    kind: type[PowerFit] | type[LogFit], params: Any, names: tuple[str, ...]
) -> PowerFit | LogFit | None:
    """The fit from the report's parameters, or None when they are missing or not numbers."""
    if not isinstance(params, dict):
        return None
    try:
        values = {name: float(params[name]) for name in names}
    except (KeyError, TypeError, ValueError):
        return None
    return kind(**values, r2=float("nan"))  # type: ignore[arg-type]


def _curve(fit: PowerFit | LogFit | None, xs: list[float]) -> list[float | None]:
    if fit is None:
        return [None] * len(xs)
    with np.errstate(all="ignore"):
        values = fit.score(np.asarray(xs))
    return [float(v) if math.isfinite(v) else None for v in values]
