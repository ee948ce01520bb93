"""`closedloop retrain KIND`: run the retraining flow now and print the gate's decision with its evidence."""

from __future__ import annotations

import json

import typer

from cli.kinds import Kind
from cli.output import console, emit_json


def retrain(
    model: Kind,
    reason: str = typer.Option("manual", help="Recorded as the run's trigger."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Snapshot → validate → train candidates → register → gate → promote or not."""
    from closedloop.orchestration import prefect_api
    from closedloop.settings import get_settings
    from flows.retrain import configured_retrain

    settings = get_settings()
    with prefect_api(settings):
        result = configured_retrain(settings)(model=model, reason=reason)
    if as_json:
        emit_json(result.__dict__)
        return
    verdict = "[green]promoted[/]" if result.promoted else "[yellow]not promoted[/]"
    console.print(f"{model}: version {result.version} {verdict} — {result.reason}")
    console.print(f"champion is now version {result.champion or '—'}")
    holdout = result.evidence.get("holdout", {})
    console.print("evidence (holdout):", json.dumps(holdout, indent=2, default=str), highlight=False)
