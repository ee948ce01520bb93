"""The `curve` suite: the learning curve of every kind taking part, on the real corpus, run as the CLI a user
would type, timed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.contract import benchmarks_of, taking_part
from bench.report import markdown_table

PREFIX = "curve_"  # results key of a kind: curve_<kind>


def _curve(model: str) -> dict[str, Any]:
    """`closedloop learning-curve <model> --json` in a subprocess; its curve plus the wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "learning-curve", model, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"closedloop learning-curve {model} failed:\n{done.stderr}")
    curve = json.loads(done.stdout.strip().splitlines()[-1])
    return {**curve, "wall_seconds": round(seconds, 1)}


def run(only: str | None = None) -> dict[str, Any]:
    return {f"{PREFIX}{found.name}": _curve(found.name) for found, _ in taking_part("curve", only)}


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def _table(title: str, curve: dict[str, Any]) -> str:
    metric = curve["metric"].upper()
    rows = [
        [f"{n:,}", len(seeds), _points(mean), _points(std)]
        for n, seeds, mean, std in zip(
            curve["sizes"], curve["seeds"], curve["mean"], curve["std"], strict=True
        )
    ]
    extra, n_max = curve["extrapolation"], curve["sizes"][-1]
    labels = curve["labels_for_next_point"]
    summary = [
        ["power law R² (mean curve)", curve["power_fit"]["r2"]],
        ["log fit R²", curve["log_fit"]["r2"]],
        [
            f"extrapolation: fit on ≤ {extra['fit_sizes'][-1]:,} labels, predict {extra['target_size']:,}",
            f"{_points(extra['predicted'])} vs {_points(extra['actual'])}"
            f" (error {_points(extra['abs_error'])} {metric} points)",
        ],
        [f"predicted {metric} at 2× ({2 * n_max:,} labels)", _points(curve["predicted"]["2x"])],
        [f"predicted {metric} at 10× ({10 * n_max:,} labels)", _points(curve["predicted"]["10x"])],
        [
            f"labels for the next +1 {metric} point",
            "unreachable (asymptote)" if labels is None else f"{labels:,}",
        ],
        ["wall time (s)", curve["wall_seconds"]],
    ]
    return (
        f"{title} learning curve ({curve['estimator']}, {metric} ×100 on the fixed holdout,"
        f" {len(curve['sizes'])} sizes, {sum(map(len, curve['seeds']))} models;"
        " the largest size is the whole training pool):\n\n"
        + markdown_table(["labels", "seeds", f"mean {metric}", "std"], rows)
        + "\n\n"
        + markdown_table(["figure", "value"], summary)
        + "\n"
    )


def tables(results: dict[str, Any]) -> str:
    """One curve per kind measured."""
    return "\n".join(
        _table(benchmarks_of(key.removeprefix(PREFIX))[0].config.title, curve)
        for key, curve in results.items()
        if key.startswith(PREFIX)
    )
