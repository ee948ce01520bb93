"""The learning-curve flow: what is each extra 1,000 labels worth?

Train on log-spaced sizes of a kind's training pool (several seeds each, optionally more at the small
sizes; all points as parallel tasks), score every model on the kind's fixed holdout, fit power-law and log
curves, and write the curve where people look:
HOME/reports/learning-curve/{model}.json (+ .png plot, + Evidently .html) and an MLflow run in the
"learning-curve" experiment. What the pool, the holdout and one point's training are is the kind's
(`ModelKind.curve`); a kind without one is told so (`NoLearningCurve`).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from closedloop.kinds import kind
from closedloop.kinds.contract import ModelKind
from closedloop.kinds.curves import Curve, CurvePool
from closedloop.registry import tracking
from closedloop.settings import Settings, get_settings
from models.curves import PowerFit, log_spaced_sizes, seeds_per_size, summarize_curve

log = logging.getLogger(__name__)

EXPERIMENT = "learning-curve"


class NoLearningCurve(LookupError):
    """The kind defines no learning curve (its `curve` hook hands nothing back)."""


def curve_dir(settings: Settings) -> Path:
    """HOME/reports/learning-curve, where the dashboard reads the curves."""
    return settings.reports_dir / "learning-curve"


def kind_curve(found: ModelKind) -> Curve:
    """`found`'s learning curve; raises `NoLearningCurve`, saying so, for a kind without one."""
    curve = found.curve()
    if curve is None:
        raise NoLearningCurve(
            f"{found.name} has no learning curve: the {found.config.title} kind defines no training pool "
            "and holdout to draw sizes from (its `curve` hook hands nothing back)"
        )
    return curve


def default_sizes(pool: CurvePool, count: int) -> list[int]:
    """`count` log-spaced sizes from the pool's floor up to the whole training pool."""
    return log_spaced_sizes(pool.n_max, n_min=pool.n_min, count=count)


@task(name="curve-point", cache_policy=NO_CACHE)
def train_point(pool: CurvePool, size: int, seed: int) -> float:
    """Holdout score of one model trained on `size` labels drawn with `seed`."""
    started = time.perf_counter()
    score = pool.score(size, seed)
    log.info(
        "%s n=%d seed=%d: %.4f (%.1fs)", pool.estimator, size, seed, score, time.perf_counter() - started
    )
    return score


def plot_curve(curve: dict[str, Any], path: Path) -> None:
    """Points with seed error bars, both fits out to 10× the data, and the half-data extrapolation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = np.asarray(curve["sizes"], dtype=np.float64)
    grid = np.geomspace(sizes[0], sizes[-1] * 10, 200)
    power = PowerFit(**curve["power_fit"])
    log_fit = curve["log_fit"]
    extra = curve["extrapolation"]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ax.errorbar(
        sizes, curve["mean"], yerr=curve["std"], fmt="o", color="black", capsize=3, label="mean ± std"
    )
    ax.plot(grid, power.score(grid), label=f"power law (R² {power.r2:.3f})")
    ax.plot(
        grid, log_fit["alpha"] + log_fit["beta"] * np.log(grid), "--", label=f"log (R² {log_fit['r2']:.3f})"
    )
    ax.plot(
        [extra["target_size"]], [extra["predicted"]], "x", color="red", markersize=9,
        label=f"from smaller half: {extra['predicted']:.3f} (actual {extra['actual']:.3f})",
    )  # fmt: skip
    for factor in ("2x", "10x"):
        n = sizes[-1] * int(factor[:-1])
        ax.plot([n], [curve["predicted"][factor]], "s", color="tab:blue", alpha=0.6)
        ax.annotate(
            f"{factor}: {curve['predicted'][factor]:.3f}", (n, curve["predicted"][factor]), fontsize=8
        )
    ax.set_xscale("log")
    ax.set_xlabel("training labels")
    ax.set_ylabel(f"holdout {curve['metric']}")
    ax.set_title(f"{curve['model']}: learning curve")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def evidently_report(curve: dict[str, Any], path: Path) -> None:
    """An Evidently data summary of the raw points (size, seed, score, power-law fit, residual)."""
    with warnings.catch_warnings():
        # evidently 0.7.23 touches numpy.core on import and warns from inside its own metrics.
        warnings.simplefilter("ignore")
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataSummaryPreset

        power = PowerFit(**curve["power_fit"])
        rows = [
            {"size": n, "seed": seed, "score": score, "power_fit": float(power.score(n))}
            for n, seeds, per_seed in zip(curve["sizes"], curve["seeds"], curve["scores"], strict=True)
            for seed, score in zip(seeds, per_seed, strict=True)
        ]
        frame = pd.DataFrame(rows).assign(residual=lambda f: f["score"] - f["power_fit"])
        definition = DataDefinition(
            numerical_columns=["size", "score", "power_fit", "residual"], categorical_columns=["seed"]
        )
        snapshot = Report([DataSummaryPreset()]).run(Dataset.from_pandas(frame, data_definition=definition))
        snapshot.save_html(str(path))


def log_to_mlflow(curve: dict[str, Any], files: list[Path], settings: Settings) -> str:
    """One run in the "learning-curve" experiment holding the JSON, the plot and the report."""
    tracking.configure(settings)
    with tracking.training_run(settings, experiment=EXPERIMENT, run_name=curve["model"]) as run:
        mlflow.log_params(
            {"model": curve["model"], "metric": curve["metric"], "estimator": curve["estimator"]}
        )
        mlflow.log_params({"sizes": json.dumps(curve["sizes"]), "seeds": json.dumps(curve["seeds"])})
        extra = curve["extrapolation"]
        metrics: dict[str, Any] = {
            "r2_power": curve["power_fit"]["r2"],
            "r2_log": curve["log_fit"]["r2"],
            "predicted_2x": curve["predicted"]["2x"],
            "predicted_10x": curve["predicted"]["10x"],
            "extrapolation_abs_error": extra["abs_error"],
            "score_full": curve["mean"][-1],
            "seconds": curve["seconds"],
        }
        if curve["labels_for_next_point"] is not None:
            metrics["labels_for_next_point"] = curve["labels_for_next_point"]
        tracking.log_metrics({k: v for k, v in metrics.items() if v is not None})
        for path in files:
            mlflow.log_artifact(str(path))
        return str(run.info.run_id)


@flow(name="learning-curve", task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def learning_curve(
    model: str,
    n_sizes: int = 7,
    min_seeds: int = 3,
    scale_seeds: bool = False,
    sizes: list[int] | None = None,
    estimator: str | None = None,
) -> dict[str, Any]:
    """Score `model` (a registered kind's name) at log-spaced training sizes, fit the curve, write the
    reports; raises `NoLearningCurve` for a kind without one.

    Each size trains `min_seeds` seeds, or with `scale_seeds` more at the smaller sizes (`seeds_per_size`):
    the seeds 0, 1, … k−1 of size n. `estimator` is one of the kind's curve estimators (default: its first).
    """
    started = time.perf_counter()
    settings = get_settings()
    logger = get_run_logger()
    found = kind(model, tuple(settings.kinds))  # raises UnknownKind, naming the registered ones
    model = found.name
    curve_hook = kind_curve(found)
    estimator = estimator or curve_hook.estimators[0]
    if estimator not in curve_hook.estimators:
        raise ValueError(
            f"{model}'s learning curve trains one of {', '.join(curve_hook.estimators)}, not {estimator!r}"
        )
    pool = curve_hook.pool(settings, estimator)
    size_list = sorted(sizes) if sizes else default_sizes(pool, n_sizes)
    counts = seeds_per_size(size_list, min_seeds=min_seeds) if scale_seeds else [min_seeds] * len(size_list)
    seed_lists = [list(range(k)) for k in counts]
    logger.info("%s: sizes %s, seeds per size %s", model, size_list, counts)
    # Largest first: they take longest, so the pool ends with the short jobs instead of waiting on one.
    jobs = [(n, s) for n, seeds in reversed(list(zip(size_list, seed_lists, strict=True))) for s in seeds]
    futures = {job: train_point.submit(pool, job[0], job[1]) for job in jobs}
    scores = [
        [futures[(n, s)].result() for s in seeds] for n, seeds in zip(size_list, seed_lists, strict=True)
    ]
    curve = {
        "model": model,
        "metric": curve_hook.metric,
        "estimator": estimator,
        "created_at": datetime.now(UTC).isoformat(),
        "seeds": seed_lists,  # per size: the seeds its scores came from
        **summarize_curve(size_list, scores),
        "png": f"learning-curve/{model}.png",
        "html": f"learning-curve/{model}.html",
    }
    out = curve_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    png, html, path = out / f"{model}.png", out / f"{model}.html", out / f"{model}.json"
    plot_curve(curve, png)
    evidently_report(curve, html)
    curve["seconds"] = round(time.perf_counter() - started, 2)
    curve = _finite(curve)
    path.write_text(json.dumps(curve, indent=2, allow_nan=False) + "\n")
    curve["mlflow_run_id"] = log_to_mlflow(curve, [path, png, html], settings)
    path.write_text(json.dumps(curve, indent=2, allow_nan=False) + "\n")
    logger.info(
        "%s: R² %s, extrapolation error %.4f, %.0fs",
        model, curve["power_fit"]["r2"], curve["extrapolation"]["abs_error"], curve["seconds"],
    )  # fmt: skip
    return curve


def _finite(value: Any) -> Any:
    """NaN/inf (R² of a flat curve) become null: the dashboard parses strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def run_learning_curve(*, processes: bool = False, workers: int = 2, **params: Any) -> dict[str, Any]:
    """Run the flow on threads or on a process pool (TF-IDF fitting holds the GIL, so only processes
    train two points truly at once).

    Worker processes talk to the parent's Prefect API; without a configured one, each would start its own
    temporary server, so one is started here and shared for the run.
    """
    runner = ProcessPoolTaskRunner(max_workers=workers) if processes else ThreadPoolTaskRunner(workers)
    configured = learning_curve.with_options(task_runner=runner)  # type: ignore[arg-type]
    if not processes or PREFECT_API_URL.value():
        return configured(**params)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            return configured(**params)
    finally:
        from prefect.logging.handlers import APILogHandler

        APILogHandler().flush()  # the run's last logs go out before their server does
        server.stop()
