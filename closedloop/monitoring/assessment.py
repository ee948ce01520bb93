"""One monitoring pass for one model kind: reference vs current window → Evidently drift report, live
quality, files and workspace run, and the verdict whether the drift should start a retrain.

What the frames hold and how live quality is measured is the kind's (`ModelKind.monitor`); this pass is the
same for every kind. A kind that describes no traffic is reported as not monitored (`NotMonitored`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow import MlflowClient

from closedloop.monitoring.champion import load_champion
from closedloop.monitoring.errors import NotMonitored
from closedloop.monitoring.publish import add_to_workspace, write_reports
from closedloop.monitoring.report import drift_report, drift_summary
from closedloop.monitoring.window import current_window
from closedloop.settings import Settings
from closedloop.store import Store

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind


@dataclass(frozen=True)
class Assessment:
    model: str
    summary: dict[str, Any]  # what latest.json holds (without the raw Evidently payload)
    retrain_due: bool  # drift detected on a current window of at least `monitor_min_current` predictions
    latest_json: Path
    workspace_run_id: str


def not_monitored(kind: ModelKind) -> NotMonitored:
    """The error that says `kind` is not monitored, and why."""
    return NotMonitored(
        f"{kind.name} is not monitored: the {kind.config.title} kind describes no traffic to compare with "
        "its training data (its `monitor` hook hands nothing back), so there is no drift report or live "
        "quality to compute"
    )


def assess(
    settings: Settings, store: Store, client: MlflowClient, *, kind: ModelKind, now: datetime | None = None
) -> Assessment:
    """Compare `kind`'s champion training data with its recent traffic; raises `MonitoringError` (with what
    to do next) when the kind is not monitored, or there is no traffic or no champion."""
    if not kind.monitored:
        raise not_monitored(kind)
    model = kind.name
    now = now or datetime.now(UTC)
    # The window is checked first: it is one query, the champion means loading a model and a snapshot.
    current_window(settings, store, model=model, version=None, now=now)
    champion = load_champion(client, kind)
    window = current_window(settings, store, model=model, version=champion.version, now=now)
    monitored = kind.monitor(settings, store, champion, window.predictions)
    if monitored is None:
        raise not_monitored(kind)
    reference, current = monitored.reference, monitored.current

    threshold = settings.drift_share_threshold
    run = drift_report(
        reference,
        current,
        drift_share=threshold,
        name=f"{model} v{champion.version} {now:%Y-%m-%d %H:%M}",
        timestamp=now,
        metadata={"model": model, "model_version": champion.version, "reference": monitored.description},
        tags=[model, f"v{champion.version}"],
    )
    drift = drift_summary(run, threshold=threshold)
    summary: dict[str, Any] = {
        "model": model,
        "model_version": champion.version,
        "created_at": now.isoformat(),
        "reference": {"n": len(reference), "description": monitored.description},
        "current": {
            "n": len(current),
            "since": window.since.isoformat() if window.since else None,
            "other_versions_left_out": window.n_other_versions,
            "min_for_retrain": settings.monitor_min_current,
        },
        "drift": drift,
        "quality": monitored.quality,
    }
    latest = write_reports(settings, model=model, run=run, summary=summary, at=now)
    run_id = add_to_workspace(settings, model=model, run=run)
    due = bool(drift["detected"]) and len(current) >= settings.monitor_min_current
    return Assessment(
        model=model,
        summary={**summary, "html": f"monitoring/{model}/latest.html"},
        retrain_due=due,
        latest_json=latest,
        workspace_run_id=run_id,
    )
