"""Events that start retraining: enough new consensus labels, or drift. Names and resources live here so the
emitters (label watcher, monitoring) and the deployment triggers agree on them."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient

from closedloop import registry
from closedloop.settings import Settings
from closedloop.store import Store, count_labels_since, latest_label_id

LABELS_EVENT = "closedloop.labels.threshold"
DRIFT_EVENT = "closedloop.drift.detected"
RETRAIN_EVENTS = (LABELS_EVENT, DRIFT_EVENT)


def resource_id(model: str) -> str:
    """The Prefect resource an event is about: `closedloop.model.spam-filter`."""
    return f"closedloop.model.{registry.registered_name(model)}"


def last_trained_label_id(client: MlflowClient, *, model: str) -> int | None:
    """The feedback watermark of the newest registered version (what the last retrain already saw)."""
    versions = registry.list_versions(client, name=registry.registered_name(model))
    for version in versions:
        if version.run_id is None:
            continue
        tag = client.get_run(version.run_id).data.tags.get("lineage.feedback_last_label_id")
        if tag is not None:
            return None if tag == "None" else int(tag)
    return None


def _state_file(settings: Settings, model: str) -> Path:
    return settings.home / "state" / f"label-trigger-{model}.json"


def labels_due(
    settings: Settings, store: Store, client: MlflowClient, *, model: str
) -> tuple[bool, int, int | None]:
    """(due, count, newest label id): whether `label_trigger_count` labels arrived since the last
    retrain and since we last fired, so one burst of labels starts one retrain, not one per check."""
    fired = _state_file(settings, model)
    last_fired = json.loads(fired.read_text())["after_id"] if fired.exists() else None
    trained = last_trained_label_id(client, model=model)
    after = max((i for i in (trained, last_fired) if i is not None), default=None)
    with store.session() as session:
        count = count_labels_since(session, model=model, after_id=after)  # type: ignore[arg-type]
        newest = latest_label_id(session, model=model)  # type: ignore[arg-type]
    return count >= settings.label_trigger_count, count, newest


def mark_fired(settings: Settings, *, model: str, upto_id: int | None) -> None:
    path = _state_file(settings, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"after_id": upto_id}))
    tmp.replace(path)


def drift_already_reported(settings: Settings, *, model: str, version: str) -> bool:
    """Drift is reported once per champion version: persistent drift must not start a retrain every hour
    (new labels still do, through the label trigger); a new champion starts with a clean slate."""
    path = settings.home / "state" / f"drift-fired-{model}.json"
    return path.exists() and json.loads(path.read_text()).get("version") == version


def mark_drift_reported(settings: Settings, *, model: str, version: str) -> None:
    path = settings.home / "state" / f"drift-fired-{model}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": version}))
    tmp.replace(path)
