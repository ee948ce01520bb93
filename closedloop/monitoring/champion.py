"""The champion a monitoring pass compares against: its version, the feedback watermark its training
snapshot was read at (so the kind can rebuild that snapshot as the reference), and the loaded model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlflow import MlflowClient

from closedloop import registry
from closedloop.monitoring.errors import NoChampion
from closedloop.registry.packaging import load_wrapper

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind


@dataclass(frozen=True)
class Champion:
    model: str  # the kind's name
    version: str
    upto_id: int | None  # the consensus-label watermark its training snapshot was read at
    wrapper: Any  # the kind's MLflow pyfunc wrapper (`ModelKind.wrap`)


def load_champion(client: MlflowClient, kind: ModelKind) -> Champion:
    """The champion version of `kind`, its training watermark (run tag `lineage.feedback_last_label_id`) and
    model; raises `NoChampion` (saying how to train one) when the registry has none."""
    name = kind.config.registered_name
    version = registry.aliased_version(client, name=name, alias=registry.CHAMPION)
    if version is None:
        raise NoChampion(
            f"{name} has no champion, so there is no training data to compare with: "
            f"run `closedloop retrain {kind.name}` (or `closedloop demo`) first"
        )
    tag = (
        client.get_run(version.run_id).data.tags.get("lineage.feedback_last_label_id")
        if version.run_id
        else None
    )
    upto_id = None if tag in (None, "None") else int(tag)
    wrapper = load_wrapper(f"models:/{name}/{version.version}")
    return Champion(model=kind.name, version=str(version.version), upto_id=upto_id, wrapper=wrapper)
