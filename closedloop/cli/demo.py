"""`closedloop demo`: the platform on its embedded defaults, as local processes under one supervisor."""

from __future__ import annotations

import sys

import typer

from closedloop import corpora, registry, tracking
from closedloop.cli.output import console
from closedloop.monitoring import workspace_dir
from closedloop.settings import get_settings
from closedloop.supervisor import Service, Supervisor


def demo(
    mlflow_port: int = typer.Option(5000, help="Port of the MLflow UI."),
    api_port: int = typer.Option(8000, help="Port of the API."),
    evidently_port: int = typer.Option(8001, help="Port of the Evidently UI (monitoring reports)."),
    no_services: bool = typer.Option(False, "--no-services", help="Prepare data and champions, then exit."),
) -> None:
    """Fetch the corpora, train the first champions if there are none, then run API, worker and MLflow UI."""
    settings = get_settings()
    for name in corpora.CORPORA:
        result = corpora.fetch(settings, name)
        console.print(f"{name}: {'cached' if result.cached else 'fetched'} {result.manifest['counts']}")
    client = tracking.configure(settings)
    missing = [
        m
        for m in ("spam", "recsys")
        if registry.aliased_version(client, name=registry.registered_name(m), alias="champion") is None
    ]
    if missing:
        from flows.retrain import configured_retrain

        for model in missing:
            console.print(f"training the first {model} champion …")
            result = configured_retrain(settings)(model=model, reason="demo bootstrap")
            console.print(f"  {model}: version {result.version} — {result.reason}")
    if no_services:
        return
    supervisor = Supervisor(logs=settings.home / "logs")
    services = [
        Service(
            "api",
            [sys.executable, "-m", "closedloop", "serve", "--port", str(api_port)],
            url=f"http://127.0.0.1:{api_port}/docs (API)",
        ),
        Service(
            "worker",
            [sys.executable, "-m", "closedloop", "worker"],
            url=f"http://127.0.0.1:{settings.prefect_port} (Prefect UI)",
        ),
        Service(
            "mlflow",
            [
                sys.executable,
                "-m",
                "mlflow",
                "ui",
                "--backend-store-uri",
                settings.tracking_uri,
                "--host",
                "127.0.0.1",
                "--port",
                str(mlflow_port),
                "--workers",
                "1",
            ],
            url=f"http://127.0.0.1:{mlflow_port} (MLflow UI)",
        ),
        Service(
            "evidently",
            [
                sys.executable,
                "-m",
                "evidently.cli",
                "ui",
                "--workspace",
                str(workspace_dir(settings)),
                "--host",
                "127.0.0.1",
                "--port",
                str(evidently_port),
            ],
            url=f"http://127.0.0.1:{evidently_port} (Evidently UI: monitoring)",
        ),
    ]
    for service in services:
        supervisor.start(service)
        console.print(
            f"started {service.name}: {service.url}  (log: {settings.home / 'logs' / service.name}.log)"
        )
    console.print("Ctrl-C stops everything; `make demo` again resumes from the same state.")
    try:
        exited = supervisor.wait()
        if exited:
            console.print(f"[red]{exited} exited; stopping the rest (see its log)[/]")
    finally:
        supervisor.stop_all()
        console.print("all services stopped")


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
