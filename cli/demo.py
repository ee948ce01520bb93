"""`closedloop demo`: the platform on its embedded defaults, as local processes under one supervisor, with the
replay as live traffic. Everything lives under CLOSEDLOOP_HOME, so a second run resumes where the first
stopped."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.kinds import all_kinds
from cli.output import console, fail

if TYPE_CHECKING:
    from closedloop.platform.processes import Ports
    from closedloop.platform.supervisor import Service
    from closedloop.settings import Settings

# The first champions train on the earlier half of each corpus; the replay streams the rest. (A smaller
# share fails the spam gate's FPR floor: the early SpamAssassin messages are two-thirds spam.)
DEMO_BASE_FRACTION = "0.5"


def demo_services(
    settings: Settings,
    ports: Ports,
    *,
    environ: Mapping[str, str],
    bootstrap: Sequence[str],
    replay: bool,
    replay_rate: float,
    feedback_rate: float,
    replay_passes: int = 2,
) -> list[Service]:
    """Everything `closedloop demo` runs: the platform with its UIs, first champions where `bootstrap`
    names models without one, a replay of every registered kind's corpus (unless `replay` is off) whose
    simulated annotators answer the labeling queue from the corpus's labels after a delay, and the first
    learning curves and monitoring reports (`closedloop first-reports`)."""
    from closedloop.platform.processes import CLI, platform_services, replay_service
    from closedloop.platform.supervisor import Service

    base_env = {"CLOSEDLOOP_BASE_FRACTION": DEMO_BASE_FRACTION, **environ}
    # The first learning curves and monitoring reports, as soon as the API serves (and the replay's traffic
    # comes in), so the dashboard's curve, drift and Evidently panels do not stay empty for the first hour.
    reports = Service("first-reports", [*CLI, "first-reports"], oneshot=True)
    clients = [
        replay_service(
            k.name,
            ports,
            rate=replay_rate,
            feedback_rate=feedback_rate,
            annotators=True,
            passes=replay_passes,
            cursor=replay_cursor(settings, k.name),
        )
        for k in (all_kinds() if replay else [])
    ] + [reports]
    return platform_services(
        settings, ports, base_env=base_env, ui=True, bootstrap=bootstrap, clients=clients
    )


def replay_cursor(settings: Settings, kind: str) -> Path:
    """Where the demo keeps a kind's replay position: a second `make demo` resumes from it."""
    return settings.home.resolve() / "replay" / f"{kind}.cursor.json"


def demo(
    api_port: int = typer.Option(8000, help="Port of the API, dashboard and labeling UI."),
    mlflow_port: int = typer.Option(5000, help="Port of the MLflow UI."),
    evidently_port: int = typer.Option(8001, help="Port of the Evidently UI (monitoring reports)."),
    replay: bool = typer.Option(True, "--replay/--no-replay", help="Stream the later corpus as traffic."),
    replay_rate: float = typer.Option(5.0, min=0.0, help="Replayed requests per second, per model."),
    feedback_rate: float = typer.Option(0.3, min=0.0, max=1.0, help="Share of predictions users answer."),
    replay_passes: int = typer.Option(
        2,
        min=0,
        help="Times the replay streams each corpus (0: until stopped): after the first pass the promoted "
        "models keep serving the same users; each pass's end is logged.",
    ),
    no_services: bool = typer.Option(False, "--no-services", help="Fetch the corpora, then exit."),
    postgres: str | None = typer.Option(
        None,
        "--postgres",
        metavar="URL",
        help="Keep the feedback store, MLflow's backend store and Prefect's database on this PostgreSQL "
        "server, e.g. postgresql://postgres@127.0.0.1:5432/closedloop: databases NAME, NAME_mlflow and "
        "NAME_prefect, created when missing.",
    ),
) -> None:
    """Fetch the corpora, train first champions where none exist, run the platform and the replay."""
    from cli.startup import corpus_line, live_summary, quiet_libraries
    from closedloop import registry
    from closedloop.orchestration import forget_server, record_server
    from closedloop.platform.processes import Ports
    from closedloop.platform.supervisor import ServiceFailed, Supervisor
    from closedloop.registry import tracking
    from closedloop.settings import get_settings

    started = time.monotonic()
    settings = get_settings()
    environ = dict(os.environ)
    if postgres:
        chosen = _on_postgres(postgres)
        settings = settings.model_copy(update=chosen)
        environ.update({f"CLOSEDLOOP_{name.upper()}": value for name, value in chosen.items()})
    settings.home.mkdir(parents=True, exist_ok=True)
    logs = settings.home.resolve() / "logs"
    quiet_libraries(logs / "demo.log")
    console.print(f"closedloop demo in {settings.home.resolve()}", highlight=False, soft_wrap=True)
    kinds = all_kinds()
    for kind in kinds:
        for name, summary in kind.fetch(settings).items():
            console.print(corpus_line(name, summary), highlight=False, soft_wrap=True)
    if no_services:
        return
    from closedloop.serving.keys import ensure_keys, key_file

    client_key, admin_key = ensure_keys(settings)
    console.print(
        f"API keys (mode 0600) in {key_file(settings)}: client {client_key.id} (trusted; the replay sends "
        f"it), admin {admin_key.id} — send one as the X-API-Key header"
    )
    client = tracking.configure(settings)
    quiet_libraries(logs / "demo.log")  # MLflow sets its own terminal handler when first imported
    missing = [
        k.name
        for k in kinds
        if registry.aliased_version(client, name=k.config.registered_name, alias="champion") is None
    ]
    if missing:
        console.print(f"first champions to train (earlier part of each corpus): {', '.join(missing)}")
    ports = Ports(api=api_port, prefect=settings.prefect_port, mlflow=mlflow_port, evidently=evidently_port)
    services = demo_services(
        settings,
        ports,
        environ=environ,
        bootstrap=missing,
        replay=replay,
        replay_rate=replay_rate,
        feedback_rate=feedback_rate,
        replay_passes=replay_passes,
    )
    supervisor = Supervisor(logs=logs)

    console.print(
        f"starting {len(services)} processes; each logs to {logs}/<name>.log", highlight=False, soft_wrap=True
    )

    def announce(service: Service) -> None:
        if service.name == "prefect":  # CLI commands in this home now run their flows on this server
            record_server(settings, api_url=ports.prefect_api_url, pid=supervisor.running["prefect"].pid)
        console.print(
            f"[green]✓[/] {service.name:<13} {service.url or ('done' if service.finishes else 'up')}",
            highlight=False,
        )

    # SIGTERM (a service manager, `docker stop`) stops the platform as Ctrl-C does, also while it starts up:
    # the children run in their own sessions, so nothing else would stop them if this process just died.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        supervisor.start_all(services, timeout=900, on_ready=announce)
        summary = live_summary(settings, ports, elapsed=time.monotonic() - started, logs=logs)
        console.print(summary, highlight=False, markup=False, soft_wrap=True)
        exited = supervisor.wait()
        if exited:
            console.print(f"[red]{exited} exited; stopping the rest[/] (see {logs / exited}.log)")
    except ServiceFailed as error:
        supervisor.stop_all()
        fail(str(error))
    except KeyboardInterrupt:
        pass
    finally:
        forget_server(settings)
        supervisor.stop_all()
        console.print("all services stopped")


def first_reports(
    wait: float = typer.Option(
        900.0, min=0.0, help="Seconds to wait, at most, for the monitored kinds' first predictions."
    ),
    min_predictions: int = typer.Option(
        100, min=1, help="Predictions a kind needs in the window before its first monitoring pass."
    ),
) -> None:
    """Write each kind's first (small) learning curve and monitoring report; `closedloop demo` runs this at
    start so its dashboard panels fill within minutes."""
    from closedloop.settings import get_settings
    from flows.first_reports import first_reports as write_first_reports

    done = write_first_reports(get_settings(), wait_s=wait, min_predictions=min_predictions)
    for name, outcome in done.curves.items():
        console.print(f"learning curve, {name}: {outcome}", highlight=False)
    for name, outcome in done.monitors.items():
        console.print(f"monitoring report, {name}: {outcome}", highlight=False)


def _on_postgres(url: str) -> dict[str, str]:
    """The settings that put the store, MLflow and Prefect on the server at `url`, its databases created
    and the store's schema migrated (once, here, rather than by several services at the same moment)."""
    from sqlalchemy import make_url

    from closedloop.platform.postgres import PostgresUnavailable, create_missing_databases, postgres_layout
    from closedloop.store import open_store

    try:
        layout = postgres_layout(url)
        created = create_missing_databases(layout)
        open_store(layout.store).close()
    except (ValueError, PostgresUnavailable) as error:
        fail(f"--postgres: {error}")
    shown = make_url(layout.store).render_as_string(hide_password=True)
    console.print(
        f"PostgreSQL: the store in {shown}, MLflow and Prefect in its _mlflow and _prefect databases"
        + (f" (created {', '.join(created)})" if created else "")
    )
    return layout.settings()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    app.command(name="demo")(demo)
    app.command(name="first-reports", hidden=True)(first_reports)
