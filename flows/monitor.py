"""The monitoring flow: hourly (and by hand, `closedloop monitor`), compare a model's champion training data
with its recent traffic, publish the Evidently report, and ask for a retrain when the inputs have drifted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger
from prefect.events import emit_event

from closedloop.kinds import kind
from closedloop.monitoring import MonitoringError
from closedloop.monitoring.assessment import assess
from closedloop.orchestration import triggers
from closedloop.registry import tracking
from closedloop.settings import get_settings
from closedloop.store import open_store


@dataclass
class MonitorResult:
    model: str
    skipped: str | None = None  # why nothing was compared (no traffic, no champion); what to do next
    summary: dict[str, Any] = field(default_factory=dict)  # latest.json's content
    latest_json: str | None = None
    retrain_requested: bool = False  # drift found on a large enough window
    event_id: str | None = None  # the emitted `closedloop.drift.detected` event (None: events are off)


@flow(name="monitor")
def monitor(model: str) -> MonitorResult:
    """Drift and live quality of `model` (a registered kind's name); emits `closedloop.drift.detected` when
    the share of drifted columns reaches `drift_share_threshold` on at least `monitor_min_current`
    predictions. A kind that is not monitored, an empty window or no champion is a skip, not a failure."""
    settings = get_settings()
    monitored = kind(model, tuple(settings.kinds))  # raises UnknownKind, naming the registered ones
    model = monitored.name  # a registered MLflow name is accepted too; reports use the kind's own name
    logger = get_run_logger()
    client = tracking.configure(settings)
    store = open_store(settings.store_url)
    try:
        assessment = assess(settings, store, client, kind=monitored)
    except MonitoringError as exc:
        # Not a failure: an hour without traffic is normal; the run says why it compared nothing.
        logger.info("%s: nothing to monitor — %s", model, exc)
        return MonitorResult(model=model, skipped=str(exc))
    finally:
        store.close()
    drift = assessment.summary["drift"]
    drifted = sorted(name for name, column in drift["columns"].items() if column["drifted"])
    logger.info(
        "%s v%s: %d/%d columns drifted (share %.2f, threshold %.2f) on %d predictions; quality %s",
        model,
        assessment.summary["model_version"],
        len(drifted),
        len(drift["columns"]),
        drift["share"],
        drift["threshold"],
        assessment.summary["current"]["n"],
        assessment.summary["quality"],
    )
    result = MonitorResult(model=model, summary=assessment.summary, latest_json=str(assessment.latest_json))
    version = str(assessment.summary["model_version"])
    if assessment.retrain_due and triggers.drift_already_reported(settings, model=model, version=version):
        logger.info("%s v%s: drift persists; already reported for this champion", model, version)
    elif assessment.retrain_due:
        result.retrain_requested = True
        event = emit_event(
            event=triggers.DRIFT_EVENT,
            resource={"prefect.resource.id": triggers.resource_id(model)},
            payload={
                "model_version": assessment.summary["model_version"],
                "drift_share": drift["share"],
                "threshold": drift["threshold"],
                "drifted_columns": drifted,
                "n_current": assessment.summary["current"]["n"],
                "report": assessment.summary["html"],
            },
        )
        result.event_id = str(event.id) if event is not None else None
        triggers.mark_drift_reported(settings, model=model, version=version)
        logger.warning("%s: drift detected (%s) — retraining requested", model, ", ".join(drifted))
    return result
