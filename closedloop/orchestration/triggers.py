"""Events that start retraining: enough new consensus labels, or drift. Names and resources live here so the
emitters (label watcher, monitoring) and the deployment triggers agree on them."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient

from closedloop import registry
from closedloop.settings import Settings
from closedloop.store import (
    Store,
    count_interactions_since,
    count_labels_since,
    latest_interaction_id,
    latest_label_id,
)

LABELS_EVENT = "closedloop.labels.threshold"
DRIFT_EVENT = "closedloop.drift.detected"
RETRAIN_EVENTS = (LABELS_EVENT, DRIFT_EVENT)
WATCH_LABELS_DEPLOYMENT = "watch-labels"


def retrain_deployment(model: str) -> str:
    """The name of a kind's retrain deployment: the worker serves one per enabled kind."""
    return f"retrain-{model}"


def resource_id(model: str) -> str:
    """The Prefect resource an event is about: `closedloop.model.spam-filter`."""
    return f"closedloop.model.{registry.registered_name(model)}"


def last_retrain_watermarks(client: MlflowClient, *, model: str) -> tuple[int | None, int | None]:
    """(label id, interaction id): what the newest registered version's snapshot read, i.e. what the last
    retrain already saw."""
    versions = registry.list_versions(client, name=registry.registered_name(model))
    for version in versions:
        if version.run_id is None:
            continue
        tags = client.get_run(version.run_id).data.tags
        if "lineage.feedback_last_label_id" in tags:
            return _id(tags.get("lineage.feedback_last_label_id")), _id(
                tags.get("lineage.interactions_last_id")
            )
    return None, None


def _id(tag: str | None) -> int | None:
    return None if tag in (None, "None", "") else int(str(tag))


def _state_file(settings: Settings, model: str) -> Path:
    return settings.home / "state" / f"label-trigger-{model}.json"


def labels_due(
    settings: Settings, store: Store, client: MlflowClient, *, model: str
) -> tuple[bool, int, dict[str, int | None]]:
    """(due, count, newest ids): whether `label_trigger_count` new labels — and for a model that learns
    from the interaction log, interactions — arrived since the last retrain and since we last fired, so
    one burst starts one retrain, not one per check."""
    fired = _state_file(settings, model)
    state = json.loads(fired.read_text()) if fired.exists() else {}
    trained_labels, trained_interactions = last_retrain_watermarks(client, model=model)
    after_labels = _latest(trained_labels, state.get("after_id"))
    after_interactions = _latest(trained_interactions, state.get("after_interaction_id"))
    with store.session() as session:
        count = count_labels_since(session, model=model, after_id=after_labels)
        newest = {"labels": latest_label_id(session, model=model), "interactions": None}
        if _learns_from_interactions(model):
            count += count_interactions_since(session, model=model, after_id=after_interactions)
            newest["interactions"] = latest_interaction_id(session, model=model)
    return count >= settings.label_trigger_count, count, newest


def _learns_from_interactions(model: str) -> bool:
    from closedloop.kinds import kind  # the kinds import the store this module reads: looked up when called

    return kind(model).config.interactions


def _latest(*ids: int | None) -> int | None:
    return max((i for i in ids if i is not None), default=None)


def mark_fired(settings: Settings, *, model: str, newest: dict[str, int | None]) -> None:
    path = _state_file(settings, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"after_id": newest["labels"], "after_interaction_id": newest["interactions"]}))
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
