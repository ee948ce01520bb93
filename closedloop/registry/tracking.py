"""MLflow tracking: where runs go, and what every training run records (params, per-epoch metrics, the
evaluation report, lineage, the environment, and the model itself)."""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Any

import mlflow
from mlflow import MlflowClient

from closedloop.settings import Settings

log = logging.getLogger(__name__)


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow at the settings' tracking store (SQLite under HOME by default) and return a client."""
    settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def experiment_id(settings: Settings, name: str) -> str:
    """The experiment `name`, created with its artifacts under HOME (not the working directory)."""
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if settings.mlflow_tracking_uri is None or not settings.mlflow_tracking_uri.startswith("http"):
        settings.artifact_root.mkdir(parents=True, exist_ok=True)
        location = settings.artifact_root.as_uri()
    try:
        return str(mlflow.create_experiment(name, artifact_location=location))
    except mlflow.exceptions.MlflowException:
        # Another process created it between our lookup and create.
        found = mlflow.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


def mlflow_key(name: str) -> str:
    """MLflow keys allow letters, digits and `_-. :/`; `ndcg@10` becomes `ndcg_at_10`."""
    return name.replace("@", "_at_")


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    mlflow.log_metrics({mlflow_key(k): float(v) for k, v in metrics.items()}, step=step)


def flatten_params(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested dicts and dataclasses become `a.b` keys; MLflow params are strings of at most 6,000 chars."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        if is_dataclass(value) and not isinstance(value, type):
            value = asdict(value)
        if isinstance(value, dict):
            flat.update(flatten_params(value, prefix=f"{prefix}{key}."))
        else:
            flat[mlflow_key(f"{prefix}{key}")] = str(value)[:6000]
    return flat


def environment_tags() -> dict[str, str]:
    import sklearn
    import torch

    return {
        "env.python": platform.python_version(),
        "env.platform": platform.platform(terse=True),
        "env.torch": torch.__version__,
        "env.sklearn": sklearn.__version__,
        "env.mlflow": mlflow.__version__,
        "env.cuda": str(torch.cuda.is_available()),
    }


@contextmanager
def training_run(
    settings: Settings, *, experiment: str, run_name: str, tags: dict[str, str] | None = None
) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run with the environment tags; nested under the active run when there is one."""
    exp_id = experiment_id(settings, experiment)
    nested = mlflow.active_run() is not None
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name, nested=nested) as run:
        mlflow.set_tags({**environment_tags(), **(tags or {})})
        yield run


def log_epoch(record: Any) -> None:
    """`on_epoch_end` callback of the torch loop: per-epoch metrics, stepped by epoch."""
    mlflow.log_metrics(
        {
            "train_loss": record.train_loss,
            "val_score": record.val_score,
            "lr": record.lr,
            "epoch_seconds": record.seconds,
        },
        step=record.epoch,
    )


def log_json(payload: dict[str, Any], artifact_file: str) -> None:
    mlflow.log_text(json.dumps(payload, indent=2, sort_keys=True, default=str), artifact_file)
