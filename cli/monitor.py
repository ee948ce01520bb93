"""`closedloop monitor`: run the monitoring flow now and print drift per column and live quality."""

from __future__ import annotations

import typer

from cli.kinds import Kind
from cli.output import console, emit_json, fail


def monitor(
    model: Kind,
    as_json: bool = typer.Option(False, "--json", help="Print latest.json's content as JSON."),
) -> None:
    """Compare the champion's training data with recent traffic; retrain on drift."""
    from datetime import UTC, datetime

    from rich.table import Table

    from closedloop.monitoring import MonitoringError
    from closedloop.monitoring.window import current_window
    from closedloop.orchestration import prefect_api
    from closedloop.settings import get_settings
    from closedloop.store import open_store
    from flows.monitor import monitor as monitor_flow

    # An empty window is told at once, before a Prefect flow (and maybe its ephemeral server) starts.
    settings = get_settings()
    store = open_store(settings.store_url)
    try:
        current_window(settings, store, model=model, version=None, now=datetime.now(UTC))
    except MonitoringError as exc:
        fail(str(exc), code=1)
    finally:
        store.close()
    with prefect_api(settings):
        result = monitor_flow(model=model)
    if result.skipped is not None:
        fail(result.skipped, code=1)
    if as_json:
        emit_json({**result.summary, "retrain_requested": result.retrain_requested})
        return
    summary = result.summary
    drift = summary["drift"]
    table = Table(title=f"{model} v{summary['model_version']}: drift by column")
    for header in ("column", "method", "score", "drifted"):
        table.add_column(header)
    for name, column in drift["columns"].items():
        flag = "[red]yes[/]" if column["drifted"] else "no"
        table.add_row(name, column["method"], f"{column['score']:.4g}", flag)
    console.print(table)
    console.print(
        f"reference: {summary['reference']['n']} rows — {summary['reference']['description']}",
        highlight=False,
    )
    console.print(
        f"current: {summary['current']['n']} predictions since {summary['current']['since'] or '—'}"
    )
    verdict = "[red]drift detected[/]" if drift["detected"] else "[green]no drift[/]"
    console.print(f"{verdict}: share {drift['share']:.2f} (threshold {drift['threshold']:.2f})")
    quality = ", ".join(
        f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in summary["quality"].items()
    )
    console.print(f"quality: {quality}")
    if result.retrain_requested:
        console.print("retraining requested (closedloop.drift.detected emitted; the worker picks it up)")
    console.print(f"report: {result.latest_json} (HTML beside it; `evidently ui` shows the history)")


def register(app: typer.Typer) -> None:
    app.command(name="monitor")(monitor)
