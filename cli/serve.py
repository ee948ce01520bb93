"""`closedloop serve`: run the prediction and feedback API with uvicorn (the app factory, N workers)."""

from __future__ import annotations

import typer

from cli.output import console


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each loads the models)."),
) -> None:
    """Serve the API: predictions, recommendations, feedback, /metrics; OpenAPI docs at /docs."""
    import uvicorn

    console.print(f"closedloop API on http://{host}:{port} (docs: /docs, {workers} worker(s))")
    uvicorn.run(
        "services.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # latency and status per route are in /metrics; a log line per request costs more
        log_level="info",
        timeout_graceful_shutdown=10,
    )


def register(app: typer.Typer) -> None:
    app.command(name="serve")(serve)
