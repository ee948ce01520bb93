"""`closedloop labels`: the consensus labels humans (and feedback) produced, for use outside closedloop."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from closedloop.cli.output import errors
from closedloop.cli.users import store_session

app = typer.Typer(help="Export consensus labels with their provenance.", no_args_is_help=True)


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class Model(StrEnum):
    spam = "spam"
    recsys = "recsys"


@app.command()
def export(
    fmt: Format = typer.Option(Format.jsonl, "--format", help="jsonl (one JSON object a line) or csv."),
    model: Model | None = typer.Option(None, "--model", help="Only this model's labels (default: both)."),
    human_only: bool = typer.Option(
        False, "--human-only", help="Only labels from annotators and adjudicators (not user feedback)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print the current consensus labels with provenance (who, when, agreement, why the item was asked)."""
    from closedloop.labeling import export_consensus

    sources = ("annotation", "adjudication") if human_only else None
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    count = 0
    try:
        with store_session() as session:
            for line in export_consensus(
                session, model=model.value if model else None, fmt=fmt.value, sources=sources
            ):
                target.write(line)
                count += 1
    finally:
        if output:
            target.close()
    if output:
        rows = count - 1 if fmt is Format.csv else count
        errors.print(f"wrote {rows} labels to {output}", highlight=False)
