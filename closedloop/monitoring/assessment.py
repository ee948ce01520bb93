"""One monitoring pass for one model: reference vs current window → Evidently drift report, live quality,
files and workspace run, and the verdict whether the drift should start a retrain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from mlflow import MlflowClient

from closedloop.monitoring.publish import add_to_workspace, write_reports
from closedloop.monitoring.quality import recsys_quality, recsys_reactions, spam_labels, spam_quality
from closedloop.monitoring.reference import Reference, load_champion, recsys_reference, spam_reference
from closedloop.monitoring.report import drift_report, drift_summary
from closedloop.monitoring.window import current_window, recsys_frame, spam_frame, typical_k
from closedloop.settings import Settings
from closedloop.store import Store
from models.recsys.descriptors import InteractionProfile
from models.spam.descriptors import TextProfile

MODELS = ("spam", "recsys")


@dataclass(frozen=True)
class Assessment:
    model: str
    summary: dict[str, Any]  # what latest.json holds (without the raw Evidently payload)
    retrain_due: bool  # drift detected on a current window of at least `monitor_min_current` predictions
    latest_json: Path
    workspace_run_id: str


def assess(
    settings: Settings, store: Store, client: MlflowClient, *, model: str, now: datetime | None = None
) -> Assessment:
    """Compare `model`'s champion training data with its recent traffic; raises `MonitoringError` (with what
    to do next) when there is no traffic or no champion."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    now = now or datetime.now(UTC)
    # The window is checked first: it is one query, the champion means loading a model and a snapshot.
    current_window(settings, store, model=model, version=None, now=now)
    champion = load_champion(client, model=model)
    window = current_window(settings, store, model=model, version=champion.version, now=now)
    predictions = window.predictions
    reference: Reference
    if model == "spam":
        reference = spam_reference(settings, store, champion)
        current = spam_frame(predictions, cast(TextProfile, reference.profile))
        quality = spam_quality(predictions, spam_labels(predictions, store))
    else:
        reference = recsys_reference(
            settings, store, champion, n_current=len(predictions), k=typical_k(predictions)
        )
        current = recsys_frame(predictions, cast(InteractionProfile, reference.profile))
        quality = recsys_quality(predictions, recsys_reactions(predictions, store))

    threshold = settings.drift_share_threshold
    run = drift_report(
        reference.frame,
        current,
        drift_share=threshold,
        name=f"{model} v{champion.version} {now:%Y-%m-%d %H:%M}",
        timestamp=now,
        metadata={"model": model, "model_version": champion.version, "reference": reference.description},
        tags=[model, f"v{champion.version}"],
    )
    drift = drift_summary(run, threshold=threshold)
    summary: dict[str, Any] = {
        "model": model,
        "model_version": champion.version,
        "created_at": now.isoformat(),
        "reference": {"n": len(reference.frame), "description": reference.description},
        "current": {
            "n": len(current),
            "since": window.since.isoformat() if window.since else None,
            "other_versions_left_out": window.n_other_versions,
            "min_for_retrain": settings.monitor_min_current,
        },
        "drift": drift,
        "quality": quality,
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
