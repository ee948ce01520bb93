"""Prefect, in one place: the server schedules and triggers need (`server.py`) and the events that start a
retrain — enough new labels, or drift — with their bookkeeping (`triggers.py`), and the API a command
runs its flows against (`endpoint.py`)."""

from closedloop.orchestration.endpoint import (
    forget_server,
    prefect_api,
    record_server,
    recorded_server,
)
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
    "forget_server",
    "healthy",
    "prefect_api",
    "prefect_database_environment",
    "prefect_server_command",
    "record_server",
    "recorded_server",
]
