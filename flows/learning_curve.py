"""The learning-curve flow: what is each extra 1,000 labels worth?

Train on log-spaced sizes of the training data (several seeds each, optionally more at the small sizes; all
points as parallel tasks), score every model on the fixed holdout, fit power-law and log curves, and write the
curve where people look:
HOME/reports/learning-curve/{model}.json (+ .png plot, + Evidently .html) and an MLflow run in the
"learning-curve" experiment.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from dataclasses import dataclass
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

from closedloop import tracking
from closedloop.datasets.spam import fixed_holdout
from closedloop.kinds.recsys.corpus import load_movielens
from closedloop.kinds.spam.corpus import load_spam
from closedloop.settings import Settings, get_settings
from models.curves import (
    PowerFit,
    log_spaced_sizes,
    recsys_point,
    seeds_per_size,
    spam_point,
    summarize_curve,
)
from models.recsys.splits import RatingSplit, split_ratings
from models.spam.corpus import message_texts

log = logging.getLogger(__name__)

MODELS = {"spam": "f1", "recsys": "ndcg@10"}
EXPERIMENT = "learning-curve"
# Smallest subset per corpus: 150 messages still leave 30 (≈9 spam) to choose a threshold on; the recsys
# floor is a share of the interactions, and never below one per user (see `subsample_interactions`).
SPAM_MIN_SIZE = 150
RECSYS_MIN_SHARE = 1 / 32


@dataclass(frozen=True)
class CurveData:
    """What every point trains from: the spam base + holdout, or the recommender's fixed split."""

    model: str
    texts: list[str] | None = None
    labels: np.ndarray | None = None
    holdout_texts: list[str] | None = None
    holdout_labels: np.ndarray | None = None
    split: RatingSplit | None = None
    catalogue: np.ndarray | None = None

    @property
    def n_max(self) -> int:
        return len(self.labels) if self.labels is not None else len(self.split.train)  # type: ignore[union-attr]


def curve_dir(settings: Settings) -> Path:
    """HOME/reports/learning-curve, where the dashboard reads the curves."""
    return settings.home / "reports" / "learning-curve"


def load_curve_data(model: str, settings: Settings) -> CurveData:
    """The training pool and the fixed holdout, exactly as retraining cuts them (same seed, same split)."""
    if model == "spam":
        base, holdout = fixed_holdout(load_spam(settings), settings)
        return CurveData(
            model=model,
            texts=message_texts(base),
            labels=base["label"].to_numpy(dtype=np.int64),
            holdout_texts=message_texts(holdout),
            holdout_labels=holdout["label"].to_numpy(dtype=np.int64),
        )
    movielens = load_movielens(settings)
    split = split_ratings(movielens.ratings, seed=settings.seed)
    catalogue = np.union1d(movielens.items["item_id"].to_numpy(), movielens.ratings["item_id"].to_numpy())
    return CurveData(model=model, split=split, catalogue=catalogue)


def default_sizes(data: CurveData, count: int) -> list[int]:
    """`count` log-spaced sizes from the corpus's floor up to the whole training pool."""
    if data.model == "spam":
        n_min = min(SPAM_MIN_SIZE, data.n_max // 4)
    else:
        assert data.split is not None
        n_users = int(data.split.train["user_id"].nunique())
        n_min = max(n_users, round(data.n_max * RECSYS_MIN_SHARE))
    return log_spaced_sizes(data.n_max, n_min=n_min, count=count)


@task(name="curve-point", cache_policy=NO_CACHE)
def train_point(data: CurveData, size: int, seed: int, spam_model: str = "baseline") -> float:
    """Holdout score of one model trained on `size` labels drawn with `seed`."""
    started = time.perf_counter()
    if data.model == "spam":
        score = spam_point(
            texts=data.texts,  # type: ignore[arg-type]
            labels=data.labels,  # type: ignore[arg-type]
            holdout_texts=data.holdout_texts,  # type: ignore[arg-type]
            holdout_labels=data.holdout_labels,  # type: ignore[arg-type]
            size=size,
            seed=seed,
            model=spam_model,
        )
    else:
        assert data.split is not None and data.catalogue is not None
        score = recsys_point(data.split, catalogue=data.catalogue, size=size, seed=seed)
    log.info("%s n=%d seed=%d: %.4f (%.1fs)", data.model, size, seed, score, time.perf_counter() - started)
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
            {"model": curve["model"], "metric": curve["metric"], "spam_model": curve["estimator"]}
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
    model: str = "spam",
    n_sizes: int = 7,
    min_seeds: int = 3,
    scale_seeds: bool = False,
    sizes: list[int] | None = None,
    spam_model: str = "baseline",
) -> dict[str, Any]:
    """Score `model` ("spam" or "recsys") at log-spaced training sizes, fit the curve, write the reports.

    Each size trains `min_seeds` seeds, or with `scale_seeds` more at the smaller sizes (`seeds_per_size`):
    the seeds 0, 1, … k−1 of size n.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    started = time.perf_counter()
    settings = get_settings()
    logger = get_run_logger()
    data = load_curve_data(model, settings)
    size_list = sorted(sizes) if sizes else default_sizes(data, n_sizes)
    counts = seeds_per_size(size_list, min_seeds=min_seeds) if scale_seeds else [min_seeds] * len(size_list)
    seed_lists = [list(range(k)) for k in counts]
    logger.info("%s: sizes %s, seeds per size %s", model, size_list, counts)
    # Largest first: they take longest, so the pool ends with the short jobs instead of waiting on one.
    jobs = [(n, s) for n, seeds in reversed(list(zip(size_list, seed_lists, strict=True))) for s in seeds]
    futures = {job: train_point.submit(data, job[0], job[1], spam_model) for job in jobs}
    scores = [
        [futures[(n, s)].result() for s in seeds] for n, seeds in zip(size_list, seed_lists, strict=True)
    ]
    curve = {
        "model": model,
        "metric": MODELS[model],
        "estimator": spam_model if model == "spam" else "knn",
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
