"""Learning-curve fits: how a score grows with the number of labels, and what more labels would buy.

Two models of the mean curve, both fitted by weighted least squares with the seed spread as the noise:

- power law on the error, error(n) = a·n^(−b) + c, score = 1 − error. `c` is the irreducible error: the
  asymptote that no amount of data of this kind gets below. This is the curve used for predictions.
- logarithmic, score(n) = α + β·ln n: the usual sanity line; it never saturates, so it over-promises
  far out and is reported beside the power law, not instead of it.

Scores live in [0, 1] (F1, NDCG@10); "a point" is 0.01.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeWarning, curve_fit

__all__ = [
    "LogFit",
    "PowerFit",
    "extrapolation_check",
    "fit_log",
    "fit_power_law",
    "labels_for_gain",
    "log_spaced_sizes",
    "noise_scale",
    "seeds_per_size",
]

# Grid over the exponent for the starting point: for a fixed b the model is linear in (a, c), so each b
# costs one 2-column least squares; curve_fit then refines all three from the best of them.
_B_GRID = np.geomspace(0.02, 2.5, 60)
_B_BOUNDS = (1e-3, 5.0)


@dataclass(frozen=True)
class PowerFit:
    """error(n) = a·n^(−b) + c on the mean curve; `r2` is of the mean scores (unweighted)."""

    a: float
    b: float
    c: float
    r2: float

    def error(self, n: ArrayLike) -> np.ndarray:
        return self.a * np.asarray(n, dtype=np.float64) ** (-self.b) + self.c

    def score(self, n: ArrayLike) -> np.ndarray:
        return 1.0 - self.error(n)


@dataclass(frozen=True)
class LogFit:
    """score(n) = alpha + beta·ln n; `r2` is of the mean scores (unweighted)."""

    alpha: float
    beta: float
    r2: float

    def score(self, n: ArrayLike) -> np.ndarray:
        return self.alpha + self.beta * np.log(np.asarray(n, dtype=np.float64))


def log_spaced_sizes(n_max: int, *, n_min: int, count: int) -> list[int]:
    """`count` distinct training-set sizes from `n_min` to `n_max`, evenly spaced in log n."""
    if not 0 < n_min < n_max:
        raise ValueError(f"need 0 < n_min < n_max, got n_min={n_min}, n_max={n_max}")
    if count < 2 or count > n_max - n_min + 1:
        raise ValueError(f"can't place {count} distinct sizes between {n_min} and {n_max}")
    sizes = sorted({round(float(s)) for s in np.geomspace(n_min, n_max, count)})
    if len(sizes) != count:
        raise ValueError(f"{count} log-spaced sizes between {n_min} and {n_max} collide; widen the range")
    return sizes


def seeds_per_size(sizes: Sequence[int], *, min_seeds: int) -> list[int]:
    """How many seeds to train at each size: `min_seeds` at the largest, more where the data is small.

    Seed-to-seed spread of a score shrinks roughly like 1/√n (on the spam corpus the F1 std fell from ~2.5
    points at 150 labels to ~0.2 at 4,732), so k(n) = round(min_seeds·√(n_max/n)) seeds make the
    standard errors of the small, cheap sizes — the ones an extrapolation rests on — comparable to the
    large sizes' at a modest cost. Equal standard errors would need k ∝ 1/n: ~100 seeds at the smallest.
    """
    if min_seeds < 1:
        raise ValueError(f"min_seeds must be at least 1, got {min_seeds}")
    n_max = max(sizes)
    return [max(min_seeds, round(min_seeds * math.sqrt(n_max / n))) for n in sizes]


def noise_scale(scores: Sequence[ArrayLike]) -> np.ndarray:
    """Scores per size (one sequence per size, any number of seeds) -> (sizes,) standard error of each mean,
    used as curve_fit's sigma.

    Three seeds can agree by chance (std 0), which would give that point infinite weight, so each error is
    floored at a quarter of the median one (and at 1e-4, for curves without any spread).
    """
    rows = [np.asarray(row, dtype=np.float64).ravel() for row in scores]
    sem = np.array([row.std(ddof=1) / math.sqrt(len(row)) if len(row) > 1 else 0.0 for row in rows])
    floor = max(0.25 * float(np.median(sem)), 1e-4)
    return np.maximum(sem, floor)


def _check_curve(sizes: ArrayLike, mean: ArrayLike, sigma: ArrayLike | None, min_points: int) -> tuple:
    n = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(mean, dtype=np.float64)
    s = np.ones_like(y) if sigma is None else np.asarray(sigma, dtype=np.float64)
    if not (n.ndim == y.ndim == s.ndim == 1 and len(n) == len(y) == len(s)):
        raise ValueError(
            f"sizes, scores and sigma must be 1-D of one length: {n.shape}, {y.shape}, {s.shape}"
        )
    if len(n) < min_points:
        raise ValueError(f"need at least {min_points} sizes to fit, got {len(n)}")
    if (n <= 0).any() or (s <= 0).any() or not np.isfinite(y).all():
        raise ValueError("sizes and sigma must be positive and scores finite")
    return n, y, s


def _r2(y: np.ndarray, fitted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    residual = float(np.sum((y - fitted) ** 2))
    return 1.0 - residual / total if total > 0 else float("nan")


def _initial_guess(n: np.ndarray, err: np.ndarray, s: np.ndarray) -> tuple[float, float, float]:
    """Best (a, b, c) over the b grid, each with (a, c) from weighted linear least squares, a, c >= 0."""
    best: tuple[float, tuple[float, float, float]] | None = None
    for b in _B_GRID:
        design = np.column_stack([n ** (-b), np.ones_like(n)]) / s[:, None]  # (points, 2)
        (a, c), *_ = np.linalg.lstsq(design, err / s, rcond=None)
        a, c = max(float(a), 1e-12), min(max(float(c), 0.0), float(err.min()))
        chi2 = float(np.sum(((a * n ** (-b) + c - err) / s) ** 2))
        if best is None or chi2 < best[0]:
            best = (chi2, (a, float(b), c))
    assert best is not None  # the grid is a non-empty constant
    return best[1]


def fit_power_law(sizes: ArrayLike, mean: ArrayLike, sigma: ArrayLike | None = None) -> PowerFit:
    """Fit error = 1 − score = a·n^(−b) + c to the mean curve, weighted by 1/sigma².

    Bounds: a >= 0 (error falls with n), b in [0.001, 5], 0 <= c <= the smallest observed error (the
    asymptote can't sit above a point already reached). Needs 3+ sizes.
    """
    n, y, s = _check_curve(sizes, mean, sigma, min_points=3)
    err = 1.0 - y
    a0, b0, c0 = _initial_guess(n, err, s)
    c_max = max(float(err.min()), 1e-9)
    upper = (np.inf, _B_BOUNDS[1], c_max)
    p0 = (a0, float(np.clip(b0, *_B_BOUNDS)), min(c0, c_max * (1 - 1e-9)))
    with warnings.catch_warnings():
        # Covariance can't be estimated from 3 points; we don't use it.
        warnings.simplefilter("ignore", OptimizeWarning)
        params, _ = curve_fit(
            lambda x, a, b, c: a * x ** (-b) + c,
            n,
            err,
            p0=p0,
            sigma=s,
            bounds=((0.0, _B_BOUNDS[0], 0.0), upper),
            maxfev=20_000,
        )
    a, b, c = (float(v) for v in params)
    return PowerFit(a=a, b=b, c=c, r2=_r2(y, 1.0 - (a * n ** (-b) + c)))


def fit_log(sizes: ArrayLike, mean: ArrayLike, sigma: ArrayLike | None = None) -> LogFit:
    """Weighted linear least squares of score on ln n (weights 1/sigma²). Needs 2+ sizes."""
    n, y, s = _check_curve(sizes, mean, sigma, min_points=2)
    design = np.column_stack([np.ones_like(n), np.log(n)]) / s[:, None]  # (points, 2)
    (alpha, beta), *_ = np.linalg.lstsq(design, y / s, rcond=None)
    fitted = alpha + beta * np.log(n)
    return LogFit(alpha=float(alpha), beta=float(beta), r2=_r2(y, fitted))


def labels_for_gain(fit: PowerFit, n_now: int, *, gain: float = 0.01) -> int | None:
    """Extra labels beyond `n_now` for the fitted score to rise by `gain` (0.01 = one point).

    Solves a·n^(−b) + c = error(n_now) − gain for n. None when the target error is at or below the
    asymptote c: by this curve, no amount of such data buys that point.
    """
    if gain <= 0:
        raise ValueError(f"gain must be positive, got {gain}")
    target = float(fit.error(n_now)) - gain
    if target <= fit.c or fit.a <= 0:
        return None
    n_needed = (fit.a / (target - fit.c)) ** (1.0 / fit.b)
    if not math.isfinite(n_needed) or n_needed > 1e15:
        return None
    return max(0, math.ceil(n_needed) - n_now)


def extrapolation_check(sizes: ArrayLike, mean: ArrayLike, sigma: ArrayLike | None = None) -> dict:
    """Fit the power law on the smaller half of the sizes (at least 3), predict the largest size.

    Returns fit_sizes, target_size, predicted, actual, abs_error (all scores in [0, 1]). An honest test
    of the curve's predictions: the largest size is never seen by that fit.
    """
    n, y, s = _check_curve(sizes, mean, sigma, min_points=4)
    order = np.argsort(n)
    n, y, s = n[order], y[order], s[order]
    half = max(3, math.ceil(len(n) / 2))
    if half >= len(n):
        raise ValueError(f"need more than {half} sizes to hold the largest out, got {len(n)}")
    fit = fit_power_law(n[:half], y[:half], s[:half])
    predicted = float(fit.score(n[-1]))
    actual = float(y[-1])
    return {
        "fit_sizes": [int(v) for v in n[:half]],
        "target_size": int(n[-1]),
        "predicted": predicted,
        "actual": actual,
        "abs_error": abs(predicted - actual),
    }
