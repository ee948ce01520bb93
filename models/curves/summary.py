"""Everything a learning curve says, from its raw (size × seed) scores: the fits, the predictions at 2× and
10× the data, the labels one more point costs, and how well the curve predicted a size it never saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from models.curves.fitting import (
    extrapolation_check,
    fit_log,
    fit_power_law,
    labels_for_gain,
    noise_scale,
)

__all__ = ["POINT", "summarize_curve"]

POINT = 0.01  # one point of F1 / NDCG@10 on the [0, 1] scale


def summarize_curve(sizes: ArrayLike, scores: Sequence[ArrayLike]) -> dict[str, Any]:
    """(sizes,) label counts and one sequence of scores per size (its seeds; counts may differ between
    sizes) -> the curve's numbers, JSON-ready.

    Keys: sizes, scores, mean, std (sample std over seeds), sigma (the standard errors the fits weight
    by), power_fit {a, b, c, r2}, log_fit {alpha, beta, r2}, predicted {"2x", "10x"} (power law, from the
    largest size), predicted_log (the same from the log fit), labels_for_next_point (extra labels for
    +1 point by the power law; None when its asymptote says never), asymptote (1 − c: the best score this
    kind of data can reach by the fit) and extrapolation (see `extrapolation_check`).
    """
    n = np.asarray(sizes, dtype=np.int64)
    rows = [np.asarray(row, dtype=np.float64).ravel() for row in scores]
    if n.ndim != 1 or len(rows) != len(n) or any(len(row) == 0 for row in rows):
        raise ValueError(f"scores must hold one non-empty row of seeds per size ({len(n)} sizes)")
    if len(np.unique(n)) != len(n):
        raise ValueError("sizes must be distinct")
    order = np.argsort(n)
    n, rows = n[order], [rows[i] for i in order]
    mean = np.array([row.mean() for row in rows])
    std = np.array([row.std(ddof=1) if len(row) > 1 else 0.0 for row in rows])
    sigma = noise_scale(rows)
    power = fit_power_law(n, mean, sigma)
    log = fit_log(n, mean, sigma)
    n_max = int(n[-1])
    return {
        "sizes": [int(v) for v in n],
        "scores": [row.tolist() for row in rows],
        "mean": mean.tolist(),
        "std": std.tolist(),
        "sigma": sigma.tolist(),
        "power_fit": {"a": power.a, "b": power.b, "c": power.c, "r2": power.r2},
        "log_fit": {"alpha": log.alpha, "beta": log.beta, "r2": log.r2},
        "predicted": {"2x": float(power.score(2 * n_max)), "10x": float(power.score(10 * n_max))},
        "predicted_log": {"2x": float(log.score(2 * n_max)), "10x": float(log.score(10 * n_max))},
        "labels_for_next_point": labels_for_gain(power, n_max, gain=POINT),
        "asymptote": 1.0 - power.c,
        "extrapolation": extrapolation_check(n, mean, sigma),
    }
