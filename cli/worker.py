"""`closedloop worker`: serve the retraining deployments — nightly schedules, label and drift triggers."""

from __future__ import annotations

import signal
import sys

import typer

from cli.output import console
from closedloop.settings import get_settings


def worker() -> None:
    """Serve the deployments (starts a Prefect server on SQLite when PREFECT_API_URL is unset)."""
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from closedloop.orchestration import ensure_prefect_server
    from flows.schedules import deployments

    settings = get_settings()
    # SIGTERM (a supervisor, `docker stop`) takes the same clean path as Ctrl-C: our Prefect server stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ensure_prefect_server(settings)
    console.print(f"Prefect API: {server.api_url} (UI: {server.api_url.removesuffix('/api')})")
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            serve(*deployments(settings), pause_on_shutdown=False, print_starting_message=True)
    except (KeyboardInterrupt, SystemExit):
        console.print("worker stopped")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.command(name="worker")(worker)
