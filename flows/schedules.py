"""The deployments the worker serves: a nightly retrain per model, retrains on label and drift events, the
label watcher every minute, and monitoring of each model every hour (which emits the drift events)."""

from __future__ import annotations

from typing import Any

from prefect import Flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

from closedloop.kinds import kinds
from closedloop.orchestration import triggers
from closedloop.settings import Settings
from flows.labels import watch_labels
from flows.monitor import monitor
from flows.retrain import configured_retrain


def deployments(settings: Settings) -> list[Any]:
    """RunnerDeployments for `prefect.serve`; triggers pass the event name on as the run's `reason`."""
    retrain: Flow[..., Any] = configured_retrain(settings)
    # Never two retrains of one kind at once (they would race to register and promote): a second request
    # waits for the first to finish.
    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    built = []
    for model in (k.name for k in kinds()):
        on_event = DeploymentEventTrigger(
            name=f"retrain-{model}-on-event",
            expect=set(triggers.RETRAIN_EVENTS),
            match={"prefect.resource.id": triggers.resource_id(model)},
            parameters={"model": model, "reason": "{{ event.event }}"},
        )
        built.append(
            retrain.to_deployment(
                name=triggers.retrain_deployment(model),
                parameters={"model": model, "reason": "schedule"},
                cron=settings.retrain_cron,
                triggers=[on_event],
                concurrency_limit=one_at_a_time,
            )
        )
    # One watcher at a time: on a busy machine a run can outlast the interval, and piled-up runs (each a new
    # Python process) would only slow each other down; a run due while one is going is cancelled.
    built.append(
        watch_labels.to_deployment(
            name=triggers.WATCH_LABELS_DEPLOYMENT,
            interval=settings.label_watch_seconds,
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
            ),
        )
    )
    for found in kinds():
        if found.monitored:  # a kind without drift monitoring gets no hourly run that would only skip
            built.append(
                monitor.to_deployment(
                    name=f"monitor-{found.name}",
                    parameters={"model": found.name},
                    interval=settings.monitor_seconds,
                )
            )
    return built
