"""The model kinds as the command line names them: the KIND argument every model command takes, checked
against the registered kinds, and `closedloop kinds`, which lists them.

Nothing here imports a kind at start-up: the registry is read when a command runs, so `closedloop --help`
stays fast and loads no model code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.output import console, emit_json

if TYPE_CHECKING:
    from closedloop.kinds import ModelKind

KIND_HELP = "A registered model kind (`closedloop kinds` lists them)."


def registered(name: str) -> ModelKind:
    """The registered kind called `name` (or whose MLflow model is `name`); a usage error (exit code 2)
    listing the registered kinds otherwise."""
    from closedloop.kinds import UnknownKind, kind

    try:
        return kind(name)
    except UnknownKind as error:
        raise typer.BadParameter(str(error), param_hint="'KIND'") from None


def checked(name: str | None) -> str | None:
    """Typer callback for a KIND parameter: the kind's own name (also for its MLflow model's name), checked
    before the command runs."""
    return None if name is None else registered(name).name


def all_kinds() -> list[ModelKind]:
    """Every registered kind, in order."""
    from closedloop.kinds import kinds

    return kinds()


Kind = Annotated[str, typer.Argument(metavar="KIND", help=KIND_HELP, callback=checked, show_default=False)]
OptionalKind = Annotated[
    str | None,
    typer.Argument(metavar="[KIND]", help=f"{KIND_HELP} Default: every kind.", callback=checked),
]


def list_kinds(as_json: bool = typer.Option(False, "--json", help="Print the kinds as JSON.")) -> None:
    """List the registered model kinds: name, MLflow model, primary metric, candidates, data cached."""
    from rich.table import Table

    from closedloop.settings import get_settings

    settings = get_settings()
    rows: list[dict[str, Any]] = [
        {
            "name": k.name,
            "registered_name": k.config.registered_name,
            "title": k.config.title,
            "metric": k.config.metric,
            "candidates": list(k.config.candidates),
            "data": {name: manifest is not None for name, manifest in k.cached(settings).items()},
        }
        for k in all_kinds()
    ]
    if as_json:
        emit_json({"kinds": rows})
        return
    table = Table(title="model kinds")
    for header in ("kind", "MLflow model", "title", "metric", "candidates", "data cached"):
        table.add_column(header)
    for row in rows:
        cached = ", ".join(f"{name}: {'yes' if ok else 'no'}" for name, ok in row["data"].items())
        table.add_row(
            row["name"],
            row["registered_name"],
            row["title"],
            row["metric"],
            ", ".join(row["candidates"]),
            cached or "—",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command(name="kinds")(list_kinds)
