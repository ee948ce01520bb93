"""Paired tests that compare a candidate model with a baseline scored on the same examples.

Every test here is paired on purpose: both models are scored on the same messages (or users), so the
per-example differences cancel the between-example variance that an unpaired comparison would carry, and
far smaller improvements become detectable on the same holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Below this many discordant pairs the chi-square approximation is poor, so the exact binomial test is used
# (the usual textbook cut-off; statsmodels' `mcnemar` leaves the choice to the caller).
EXACT_MCNEMAR_BELOW = 25

# Upper bound on resample-index matrix elements held at once (~32 MB of int64), so a bootstrap over
# hundreds of thousands of users runs in chunks instead of allocating n_resamples x n_users indices.
_MAX_CHUNK_ELEMENTS = 4_000_000

# Joint outcome of one message, encoded as y_true * 4 + baseline_pred * 2 + candidate_pred (8 cells).
# Each model's (tp, fp, fn) is a sum over the cells where that count applies.
_BASELINE_CELLS = ((6, 7), (2, 3), (4, 5))
_CANDIDATE_CELLS = ((5, 7), (1, 3), (4, 6))


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on the discordant pairs of two classifiers.

    `b` counts examples the baseline got right and the candidate got wrong; `c` the reverse, so `c > b`
    means the candidate fixes more than it breaks.
    """

    b: int
    c: int
    statistic: float
    p_value: float
    method: str  # "exact" (two-sided binomial on b of b + c) or "chi2-cc" (continuity-corrected)


@dataclass(frozen=True)
class BootstrapResult:
    """Point estimate and percentile interval of `metric(candidate) - metric(baseline)`."""

    estimate: float  # observed difference on the full sample, not the bootstrap mean
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    n_resamples: int


@dataclass(frozen=True)
class ClassifierComparison:
    """Both classifiers' F1 and FPR on the same messages, with the paired tests of their difference."""

    n: int
    baseline_f1: float
    candidate_f1: float
    baseline_fpr: float | None  # None when the set holds no negatives
    candidate_fpr: float | None
    bootstrap: BootstrapResult  # of F1(candidate) - F1(baseline)
    mcnemar: McNemarResult
    fpr_bootstrap: BootstrapResult | None = None  # of FPR(candidate) - FPR(baseline); None without negatives


def as_binary_array(*, name: str, values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Return `values` as a non-empty 1-D boolean array, or raise ValueError naming `name`."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if array.dtype != np.bool_:
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{name} must hold 0/1 or booleans, got dtype {array.dtype}")
        if not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold only 0/1 labels, found {np.unique(array)[:5].tolist()}")
    return array.astype(bool)


def as_finite_array(
    *, name: str, values: npt.ArrayLike, bounds: tuple[float, float] | None = None
) -> npt.NDArray[np.float64]:
    """Return `values` as a non-empty 1-D finite float array (within `bounds`), or raise ValueError."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from error
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if bounds is not None and ((array < bounds[0]).any() or (array > bounds[1]).any()):
        raise ValueError(f"{name} must lie within [{bounds[0]}, {bounds[1]}]")
    return array


def check_same_length(**arrays: npt.NDArray[np.generic]) -> int:
    """Return the common length of `arrays`, or raise ValueError listing each length."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"arrays must be aligned (same length), got {lengths}")
    return next(iter(lengths.values()))


def f1_score(*, y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """F1 of the positive class; 0.0 when there are no positives and no positive predictions."""
    truth = as_binary_array(name="y_true", values=y_true)
    pred = as_binary_array(name="y_pred", values=y_pred)
    check_same_length(y_true=truth, y_pred=pred)
    tp = int(np.sum(truth & pred))
    denominator = 2 * tp + int(np.sum(~truth & pred)) + int(np.sum(truth & ~pred))
    return 2 * tp / denominator if denominator else 0.0


def false_positive_rate(*, y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float | None:
    """Share of true negatives predicted positive; None when there are no negatives to measure it on."""
    truth = as_binary_array(name="y_true", values=y_true)
    pred = as_binary_array(name="y_pred", values=y_pred)
    check_same_length(y_true=truth, y_pred=pred)
    negatives = int(np.sum(~truth))
    return int(np.sum(~truth & pred)) / negatives if negatives else None


def mcnemar(
    *,
    baseline_correct: npt.ArrayLike,
    candidate_correct: npt.ArrayLike,
    exact_below: int = EXACT_MCNEMAR_BELOW,
) -> McNemarResult:
    """McNemar's test of equal error rates for two classifiers scored on the same examples.

    Exact two-sided binomial test on the discordant pairs when `b + c < exact_below`; otherwise the
    chi-square statistic with continuity correction, `(|b - c| - 1)^2 / (b + c)` on 1 degree of freedom.
    No discordant pairs at all means the models agree everywhere: p = 1.
    """
    baseline = as_binary_array(name="baseline_correct", values=baseline_correct)
    candidate = as_binary_array(name="candidate_correct", values=candidate_correct)
    check_same_length(baseline_correct=baseline, candidate_correct=candidate)
    b = int(np.sum(baseline & ~candidate))
    c = int(np.sum(~baseline & candidate))
    discordant = b + c
    # scipy.stats takes ~1 s to import: only a decision pays it, not every process that names a kind.
    from scipy import stats

    if discordant == 0:
        return McNemarResult(b=b, c=c, statistic=0.0, p_value=1.0, method="exact")
    if discordant < exact_below:
        p_value = stats.binomtest(b, discordant, 0.5, alternative="two-sided").pvalue
        return McNemarResult(b=b, c=c, statistic=float(min(b, c)), p_value=float(p_value), method="exact")
    # max(..., 0) keeps the correction from turning b == c into a positive statistic.
    statistic = max(abs(b - c) - 1, 0) ** 2 / discordant
    p_value = stats.chi2.sf(statistic, df=1)
    return McNemarResult(b=b, c=c, statistic=float(statistic), p_value=float(p_value), method="chi2-cc")


def _check_bootstrap_settings(*, n_resamples: int, alpha: float) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")


def _percentile_result(
    *, estimate: float, samples: npt.NDArray[np.float64], alpha: float, n: int
) -> BootstrapResult:
    low, high = np.quantile(samples, [alpha / 2, 1 - alpha / 2])
    return BootstrapResult(
        estimate=float(estimate),
        ci_low=float(low),
        ci_high=float(high),
        confidence=1 - alpha,
        n=n,
        n_resamples=len(samples),
    )


def _f1_from_cells(
    counts: npt.NDArray[np.int64], cells: tuple[tuple[int, ...], ...]
) -> npt.NDArray[np.float64]:
    # counts: (..., 8) -> F1: (...)
    tp, fp, fn = (counts[..., list(group)].sum(axis=-1) for group in cells)
    denominator = 2 * tp + fp + fn
    f1: npt.NDArray[np.float64] = np.divide(
        2 * tp, denominator, out=np.zeros(denominator.shape, dtype=np.float64), where=denominator > 0
    )
    return f1


def bootstrap_f1_difference(
    *,
    y_true: npt.ArrayLike,
    baseline_pred: npt.ArrayLike,
    candidate_pred: npt.ArrayLike,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Paired bootstrap percentile interval of F1(candidate) - F1(baseline) over messages.

    Resampling message indices with replacement (the same indices for both models) only matters through
    how many draws land in each of the 8 joint (label, baseline, candidate) cells, and those counts are
    multinomial. Drawing them directly is the same bootstrap distribution at O(n_resamples x 8) cost,
    independent of the holdout size.
    """
    _check_bootstrap_settings(n_resamples=n_resamples, alpha=alpha)
    truth = as_binary_array(name="y_true", values=y_true)
    baseline = as_binary_array(name="baseline_pred", values=baseline_pred)
    candidate = as_binary_array(name="candidate_pred", values=candidate_pred)
    n = check_same_length(y_true=truth, baseline_pred=baseline, candidate_pred=candidate)
    cell = truth.astype(np.int64) * 4 + baseline.astype(np.int64) * 2 + candidate.astype(np.int64)
    observed = np.bincount(cell, minlength=8)  # (8,)
    rng = np.random.default_rng(seed)
    resampled = rng.multinomial(n, observed / n, size=n_resamples)  # (n_resamples, 8)
    samples = _f1_from_cells(resampled, _CANDIDATE_CELLS) - _f1_from_cells(resampled, _BASELINE_CELLS)
    estimate = _f1_from_cells(observed, _CANDIDATE_CELLS) - _f1_from_cells(observed, _BASELINE_CELLS)
    return _percentile_result(estimate=float(estimate), samples=samples, alpha=alpha, n=n)


def _fpr_from_cells(
    counts: npt.NDArray[np.int64], false_positive: tuple[int, ...]
) -> npt.NDArray[np.float64]:
    # counts: (..., 8) -> FPR: (...); cells 0-3 are the negatives (y_true = 0).
    ham = counts[..., :4].sum(axis=-1)
    fp = counts[..., list(false_positive)].sum(axis=-1)
    fpr: npt.NDArray[np.float64] = np.divide(
        fp, ham, out=np.zeros(ham.shape, dtype=np.float64), where=ham > 0
    )
    return fpr


def bootstrap_fpr_difference(
    *,
    y_true: npt.ArrayLike,
    baseline_pred: npt.ArrayLike,
    candidate_pred: npt.ArrayLike,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Paired bootstrap percentile interval of FPR(candidate) - FPR(baseline) over messages, drawn like
    `bootstrap_f1_difference` (multinomial counts of the 8 joint cells); negative means fewer false alarms."""
    _check_bootstrap_settings(n_resamples=n_resamples, alpha=alpha)
    truth = as_binary_array(name="y_true", values=y_true)
    baseline = as_binary_array(name="baseline_pred", values=baseline_pred)
    candidate = as_binary_array(name="candidate_pred", values=candidate_pred)
    n = check_same_length(y_true=truth, baseline_pred=baseline, candidate_pred=candidate)
    cell = truth.astype(np.int64) * 4 + baseline.astype(np.int64) * 2 + candidate.astype(np.int64)
    observed = np.bincount(cell, minlength=8)  # (8,)
    rng = np.random.default_rng(seed)
    resampled = rng.multinomial(n, observed / n, size=n_resamples)  # (n_resamples, 8)
    # A false positive is y=0 with the model saying 1: cells (2, 3) for the baseline, (1, 3) the candidate.
    samples = _fpr_from_cells(resampled, (1, 3)) - _fpr_from_cells(resampled, (2, 3))
    estimate = _fpr_from_cells(observed, (1, 3)) - _fpr_from_cells(observed, (2, 3))
    return _percentile_result(estimate=float(estimate), samples=samples, alpha=alpha, n=n)


def bootstrap_mean_difference(
    *,
    baseline: npt.ArrayLike,
    candidate: npt.ArrayLike,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Paired bootstrap percentile interval of mean(candidate - baseline) over aligned units (users).

    Element i of both arrays must belong to the same user; resampling users keeps each user's pair together.
    """
    _check_bootstrap_settings(n_resamples=n_resamples, alpha=alpha)
    base = as_finite_array(name="baseline", values=baseline)
    cand = as_finite_array(name="candidate", values=candidate)
    n = check_same_length(baseline=base, candidate=cand)
    differences = cand - base  # (users,)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_resamples, dtype=np.float64)
    # The chunk size depends only on n, so a seed gives the same interval on every machine.
    chunk = max(1, _MAX_CHUNK_ELEMENTS // n)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        indices = rng.integers(0, n, size=(stop - start, n))  # (chunk, users)
        samples[start:stop] = differences[indices].mean(axis=1)
    return _percentile_result(estimate=float(differences.mean()), samples=samples, alpha=alpha, n=n)


def compare_classifiers(
    *,
    y_true: npt.ArrayLike,
    baseline_pred: npt.ArrayLike,
    candidate_pred: npt.ArrayLike,
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
) -> ClassifierComparison:
    """Score two classifiers' binary decisions on the same labeled messages and test their difference."""
    bootstrap = bootstrap_f1_difference(
        y_true=y_true,
        baseline_pred=baseline_pred,
        candidate_pred=candidate_pred,
        n_resamples=n_resamples,
        seed=seed,
        alpha=alpha,
    )
    truth = as_binary_array(name="y_true", values=y_true)
    baseline = as_binary_array(name="baseline_pred", values=baseline_pred)
    candidate = as_binary_array(name="candidate_pred", values=candidate_pred)
    fpr_bootstrap = None
    if (~truth).any():
        fpr_bootstrap = bootstrap_fpr_difference(
            y_true=truth,
            baseline_pred=baseline,
            candidate_pred=candidate,
            n_resamples=n_resamples,
            seed=seed,
            alpha=alpha,
        )
    return ClassifierComparison(
        n=bootstrap.n,
        baseline_f1=f1_score(y_true=truth, y_pred=baseline),
        candidate_f1=f1_score(y_true=truth, y_pred=candidate),
        baseline_fpr=false_positive_rate(y_true=truth, y_pred=baseline),
        candidate_fpr=false_positive_rate(y_true=truth, y_pred=candidate),
        bootstrap=bootstrap,
        mcnemar=mcnemar(baseline_correct=truth == baseline, candidate_correct=truth == candidate),
        fpr_bootstrap=fpr_bootstrap,
    )
