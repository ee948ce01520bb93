"""`closedloop retrain`: run the retraining flow now and print the gate's decision with its evidence."""

from __future__ import annotations

import json
from enum import StrEnum

import typer

from closedloop.cli.output import console, emit_json


class Task(StrEnum):
    spam = "spam"
    recsys = "recsys"


def retrain(
    model: Task = typer.Argument(..., help="spam or recsys."),
    reason: str = typer.Option("manual", help="Recorded as the run's trigger."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Snapshot → validate → train candidates → register → gate → promote or not."""
    from closedloop.settings import get_settings
    from flows.retrain import configured_retrain

    result = configured_retrain(get_settings())(model=model.value, reason=reason)
    if as_json:
        emit_json(result.__dict__)
        return
    verdict = "[green]promoted[/]" if result.promoted else "[yellow]not promoted[/]"
    console.print(f"{model.value}: version {result.version} {verdict} — {result.reason}")
    console.print(f"champion is now version {result.champion or '—'}")
    holdout = result.evidence.get("holdout", {})
    console.print("evidence (holdout):", json.dumps(holdout, indent=2, default=str), highlight=False)
