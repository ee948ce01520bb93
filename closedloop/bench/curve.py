"""The `curve` suite: the spam learning curve on the real corpus, run as the CLI a user would type, timed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from closedloop.bench.report import markdown_table


def run() -> dict[str, Any]:
    """`closedloop learning-curve spam --json` in a subprocess; its curve plus the wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "learning-curve", "spam", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"closedloop learning-curve spam failed:\n{done.stderr}")
    curve = json.loads(done.stdout.strip().splitlines()[-1])
    return {"curve_spam": {**curve, "wall_seconds": round(seconds, 1)}}


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def tables(results: dict[str, Any]) -> str:
    curve = results["curve_spam"]
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
            f" (error {_points(extra['abs_error'])} F1 points)",
        ],
        [f"predicted F1 at 2× ({2 * n_max:,} labels)", _points(curve["predicted"]["2x"])],
        [f"predicted F1 at 10× ({10 * n_max:,} labels)", _points(curve["predicted"]["10x"])],
        ["labels for the next +1 F1 point", "unreachable (asymptote)" if labels is None else f"{labels:,}"],
        ["wall time (s)", curve["wall_seconds"]],
    ]
    return (
        f"Spam learning curve ({curve['estimator']}, F1 ×100 on the fixed holdout,"
        f" {len(curve['sizes'])} sizes, {sum(map(len, curve['seeds']))} models;"
        " the largest size is the whole training pool):\n\n"
        + markdown_table(["labels", "seeds", "mean F1", "std"], rows)
        + "\n\n"
        + markdown_table(["figure", "value"], summary)
        + "\n"
    )
