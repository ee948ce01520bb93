"""The `labeling` suite: does active learning pay for itself on a real corpus?

Labeling is simulated with the corpus's own labels: from the same 100 random labels, batches are added
either as the labeling queue's policy picks them (`models.labeling.select_batch`: nearest the threshold,
with its 10 % random share) or uniformly at random. The kind's model is retrained at every step and scored
(F1 at threshold 0.5) on the fixed holdout the retrain flow uses; the kind hands over the pool, the holdout
and the model (`labeling_pool`). Target: the policy reaches F1 0.95 with at most a third of the labels
random choice needs. One kind is measured (`--kind`, else the first that takes part).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.contract import measured
from bench.report import markdown_table

TARGET_F1 = 0.95
START = 100
SIZES = [*range(START, 200, 20), 200, 250, 300, 400, 500, 650, 800]  # 12 retrains per run
SEEDS = (0, 1, 2, 3, 4)
PLOT = Path(__file__).resolve().parent / "labeling_curve.png"
PREFIX = "labeling_"  # results key: labeling_<kind>


def run(only: str | None = None) -> dict[str, Any]:
    """Both strategies for every seed; per seed the curve and the labels needed to reach the target F1."""
    from closedloop.settings import get_settings
    from models.labeling import QueuePolicy
    from models.labeling.simulation import labels_to_reach, simulate

    started = time.perf_counter()
    settings = get_settings()
    found, parts = measured("labeling", only)
    pool = parts.labeling_pool(settings)
    if pool is None:
        raise RuntimeError(f"{found.name} takes part in the labeling suite but hands over no labeling pool")
    policy = QueuePolicy(random_share=settings.labeling_random_share)

    runs: dict[str, list[dict[str, Any]]] = {"policy": [], "random": []}
    for seed in SEEDS:
        for strategy in ("policy", "random"):
            curve = simulate(
                pool.pool_rows,
                pool.pool_labels,
                pool.holdout_rows,
                pool.holdout_labels,
                strategy=strategy,  # type: ignore[arg-type]
                make_model=pool.make_model,
                sizes=SIZES,
                policy=policy,
                seed=seed,
            )
            needed = labels_to_reach(curve, TARGET_F1)
            runs[strategy].append({"seed": seed, "f1": [p.f1 for p in curve], "labels_needed": needed})
            print(f"bench labeling: seed {seed} {strategy}: F1 {TARGET_F1} at {needed} labels", flush=True)
    result = {
        "model": found.name,
        "corpus": pool.corpus,
        "unit": pool.unit,
        "estimator": pool.model,
        "target_f1": TARGET_F1,
        "start": START,
        "sizes": SIZES,
        "seeds": list(SEEDS),
        "random_share": policy.random_share,
        "n_pool": len(pool.pool_rows),
        "n_holdout": len(pool.holdout_rows),
        "runs": runs,
        "summary": _summary(runs),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    _plot(result, title=found.config.title)
    return {f"{PREFIX}{found.name}": result}


def _summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Labels needed per strategy: mean over seeds (a run that never reaches the target counts as the last
    size + one step, and is flagged), per-seed ratios, and where the seed-mean curves reach the target."""
    from models.labeling.simulation import CurvePoint, labels_to_reach

    ceiling = SIZES[-1] + (SIZES[-1] - SIZES[-2])
    means, unreached, mean_curve = {}, {}, {}
    for strategy, items in runs.items():
        needed = [r["labels_needed"] for r in items]
        unreached[strategy] = sum(n is None for n in needed)
        means[strategy] = statistics.fmean(ceiling if n is None else n for n in needed)
        f1 = np.mean([r["f1"] for r in items], axis=0)
        mean_curve[strategy] = labels_to_reach(
            [CurvePoint(n, v) for n, v in zip(SIZES, f1, strict=True)], TARGET_F1
        )
    per_seed = [
        (p["labels_needed"] or ceiling) / (q["labels_needed"] or ceiling)
        for p, q in zip(runs["policy"], runs["random"], strict=True)
    ]
    return {
        "mean_labels_needed": means,
        "runs_not_reaching_target": unreached,
        "ratio_policy_to_random": means["policy"] / means["random"],
        "ratio_added_labels": (means["policy"] - START) / (means["random"] - START),
        "ratio_per_seed": per_seed,
        "mean_curve_labels_needed": mean_curve,
        "target_met": means["policy"] <= means["random"] / 3 and unreached["policy"] == 0,
    }


def _plot(result: dict[str, Any], *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for strategy, colour in (("policy", "tab:blue"), ("random", "tab:orange")):
        curves = np.array([r["f1"] for r in result["runs"][strategy]])  # (seeds, sizes)
        axes.plot(result["sizes"], curves.mean(axis=0), marker=".", color=colour, label=strategy)
        axes.fill_between(result["sizes"], curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.15)
    axes.axhline(result["target_f1"], color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("labels")
    axes.set_ylabel("F1 on the fixed holdout")
    axes.set_title(f"{title} {result['estimator']}: queue policy vs random labels")
    axes.legend()
    figure.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=100)
    plt.close(figure)


def _needed(value: int | None) -> str:
    return f"> {SIZES[-1]}" if value is None else str(value)


def tables(results: dict[str, Any]) -> str:
    """Labels needed per seed, the summary, and both mean curves."""
    r = next(value for key, value in results.items() if key.startswith(PREFIX))
    summary = r["summary"]
    per_seed = [
        [p["seed"], _needed(p["labels_needed"]), _needed(q["labels_needed"]), f"{ratio:.2f}"]
        for p, q, ratio in zip(
            r["runs"]["policy"], r["runs"]["random"], summary["ratio_per_seed"], strict=True
        )
    ]
    means, on_mean = summary["mean_labels_needed"], summary["mean_curve_labels_needed"]
    per_seed.append(
        [
            "mean",
            f"{means['policy']:.0f}",
            f"{means['random']:.0f}",
            f"{summary['ratio_policy_to_random']:.2f}",
        ]
    )
    per_seed.append(["mean curve", _needed(on_mean["policy"]), _needed(on_mean["random"]), ""])
    curve_rows = [
        [
            n,
            statistics.fmean(run["f1"][i] for run in r["runs"]["policy"]),
            statistics.fmean(run["f1"][i] for run in r["runs"]["random"]),
        ]
        for i, n in enumerate(r["sizes"])
    ]
    verdict = "met" if summary["target_met"] else "not met"
    step = r["sizes"][1] - r["sizes"][0]
    floor = (r["start"] + step) / means["random"]  # the best any policy could do from this start
    return (
        f"Active learning on {r['corpus']} ({r['n_pool']:,} {r['unit']} to label from,"
        f" {r['n_holdout']:,} in the fixed holdout; {r['estimator']} retrained at each step, F1 at threshold"
        " 0.5;"
        f" start: the same {r['start']} random labels; policy = the queue's `select_batch` with"
        f" {r['random_share']:.0%} random share). Labels needed for F1 ≥ {r['target_f1']}:\n\n"
        + markdown_table(["seed", "queue policy", "random", "policy / random"], per_seed)
        + f"\n\nPolicy / random (mean labels over seeds): {summary['ratio_policy_to_random']:.2f}"
        f" ({summary['ratio_added_labels']:.2f} of the labels added after the start); target ≤ 0.33:"
        f" **{verdict}** on the seed mean; per seed the ratio spans"
        f" {min(summary['ratio_per_seed']):.2f}–{max(summary['ratio_per_seed']):.2f}, because random"
        f" choice hovers near F1 {r['target_f1']} for hundreds of labels."
        f" Since every run starts from {r['start']} labels and grows by at least {step}, no policy could"
        f" score below {floor:.2f} on total labels here. Wall time {r['wall_seconds']:.0f} s.\n\n"
        "Mean F1 on the holdout by number of labels (![curves](bench/labeling_curve.png)):\n\n"
        + markdown_table(["labels", "queue policy F1", "random F1"], curve_rows)
        + "\n"
    )
