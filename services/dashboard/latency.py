"""Latency percentiles of a kind's prediction routes (`ModelKind.routes`, which the API mounts under
`API_PREFIX`), read from the API's in-process Prometheus histogram.

The histogram counts since this process started (the same numbers `/metrics` exports); percentiles are
interpolated linearly inside a bucket, as Prometheus' `histogram_quantile` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from closedloop.kinds import ModelKind

API_PREFIX = "/v1"  # where services/api mounts every kind's routes (`closedloop.kinds.contract.Route`)
QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


def mounted_paths(kind: ModelKind) -> list[str]:
    """The route templates under which the API serves `kind`'s predictions ("/v1" + each route's path)."""
    return [f"{API_PREFIX}{route.path}" for route in kind.routes()]


def latency_percentiles(histogram: Any | None, *, routes: Collection[str]) -> dict[str, float] | None:
    """`{"n", "p50", "p95", "p99"}` in milliseconds over the route templates `routes`, or None before any
    request to them."""
    if histogram is None or not routes:
        return None
    cumulative: dict[float, float] = defaultdict(float)  # upper bound (s) -> requests at or below it
    for family in histogram.collect():
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels.get("route") in routes:
                cumulative[float(sample.labels["le"])] += sample.value
    bounds = sorted(cumulative)
    n = cumulative[bounds[-1]] if bounds else 0.0
    if n == 0:
        return None
    result = {"n": n}
    for name, q in QUANTILES.items():
        result[name] = 1000 * _quantile(q, bounds, [cumulative[b] for b in bounds])
    return result


def _quantile(q: float, bounds: list[float], counts: list[float]) -> float:
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if bound == float("inf"):
                return lower  # beyond the largest finite bucket: report its bound, as Prometheus does
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower
