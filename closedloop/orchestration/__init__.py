"""Prefect, in one place: the server schedules and triggers need (`server.py`) and the events that start a
retrain — enough new labels, or drift — with their bookkeeping (`triggers.py`)."""

from closedloop.orchestration.server import (
    OrchestrationError,
    PrefectServer,
    deployments_served,
    ensure_prefect_server,
    healthy,
    prefect_database_environment,
    prefect_server_command,
)

__all__ = [
    "OrchestrationError",
    "PrefectServer",
    "deployments_served",
    "ensure_prefect_server",
    "healthy",
    "prefect_database_environment",
    "prefect_server_command",
]
