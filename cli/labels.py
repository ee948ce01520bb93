"""`closedloop labels`: the consensus labels humans (and feedback) produced, for use outside closedloop."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from cli.kinds import Kind, checked, registered
from cli.output import console, errors
from cli.users import store_session

app = typer.Typer(help="The labeling queue and its consensus labels: refill, export.", no_args_is_help=True)


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command()
def refill(
    model: Kind,
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1, help="Most items to add (default: CLOSEDLOOP_LABELING_BATCH_SIZE)."
    ),
    random_share: float | None = typer.Option(
        None, "--random-share", min=0.0, max=1.0, help="Share drawn at random (default: from settings)."
    ),
) -> None:
    """Queue the logged predictions most worth a human label (uncertain, disputed, champion vs challenger)."""
    from sqlalchemy.orm import sessionmaker

    from closedloop.kinds import ModelKind
    from closedloop.labeling import deployed_policy, item_describer, queue_depth, refill_queue
    from closedloop.settings import get_settings

    settings = get_settings()
    kind = registered(model)
    name = model  # a registered kind: the callback checked it
    policy = deployed_policy(settings, batch_size=batch_size, random_share=random_share)
    with store_session() as session:
        describe = item_describer(settings, name, sessions=sessionmaker(session.get_bind()))
        # A kind that shows annotators more than ids (titles, history) gave none: its data is missing.
        if describe is None and type(kind).describer is not ModelKind.describer:
            errors.print(
                f"{model}'s data is not cached: items show ids only (`closedloop data fetch {model}`)",
                highlight=False,
            )
        added = refill_queue(session, model=name, policy=policy, describe=describe)
        depth = queue_depth(session, model=name)
    console.print(f"{model}: queued {added} items; {depth} waiting for labels", highlight=False)
    if depth >= settings.labeling_queue_cap:
        console.print(
            f"the queue is at its cap of {settings.labeling_queue_cap} items (CLOSEDLOOP_LABELING_QUEUE_CAP)",
            highlight=False,
        )


@app.command()
def export(
    fmt: Format = typer.Option(Format.jsonl, "--format", help="jsonl (one JSON object a line) or csv."),
    model: str | None = typer.Option(
        None,
        "--model",
        metavar="KIND",
        help="Only this kind's labels (default: every kind's).",
        callback=checked,
    ),
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
            for line in export_consensus(session, model=model, fmt=fmt.value, sources=sources):
                target.write(line)
                count += 1
    finally:
        if output:
            target.close()
    if output:
        rows = count - 1 if fmt is Format.csv else count
        errors.print(f"wrote {rows} labels to {output}", highlight=False)
