"""`closedloop models`: what is registered, who moved which alias when and why, and manual moves."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from mlflow import MlflowClient
from rich.table import Table

from closedloop import registry, tracking
from closedloop.cli.output import console, emit_json
from closedloop.settings import get_settings
from closedloop.store import Store, open_store

app = typer.Typer(help="Inspect the registry, promote or roll back champions.", no_args_is_help=True)

MODEL_HELP = "spam | recsys, or the registered name (spam-filter | recommender)."


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@app.command("list")
def list_versions(
    model: str = typer.Argument("spam", help=MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the registered versions with their aliases and gate decisions, newest first."""
    settings = get_settings()
    name = registry.registered_name(model)
    client = tracking.configure(settings)
    versions = registry.list_versions(client, name=name)
    if as_json:
        emit_json({"model": name, "versions": [v.__dict__ for v in versions]})
        return
    if not versions:
        console.print(f"{name}: no versions yet — run `closedloop retrain {model}`")
        return
    table = Table(title=name)
    for column in ("version", "aliases", "created", "gate", "reason"):
        table.add_column(column)
    for v in versions:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v.created_at_ms / 1000))
        table.add_row(
            v.version,
            ", ".join(v.aliases),
            created,
            v.tags.get("gate.decision", ""),
            v.tags.get("gate.reason", ""),
        )
    console.print(table)


@app.command()
def history(
    model: str = typer.Argument("spam", help=MODEL_HELP),
    limit: int = typer.Option(20, min=1, help="How many moves to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the audit log of alias moves: who, when, from which version to which, and why."""
    settings = get_settings()
    name = registry.registered_name(model)
    store = open_store(settings.store_url)
    try:
        moves = registry.history(store, name=name, limit=limit)
    finally:
        store.close()
    if as_json:
        emit_json({"model": name, "moves": [m.model_dump(mode="json") for m in moves]})
        return
    if not moves:
        console.print(f"{name}: no alias moves recorded yet")
        return
    table = Table(title=f"{name}: alias history (newest first)")
    for column in ("when (UTC)", "alias", "from", "to", "actor", "reason"):
        table.add_column(column)
    for m in moves:
        table.add_row(
            m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            m.alias,
            m.from_version or "—",
            m.to_version or "—",
            m.actor,
            m.reason,
        )
    console.print(table)


@contextmanager
def _registry() -> Iterator[tuple[MlflowClient, Store]]:
    """The MLflow client and the feedback store (for the audit log), closed afterwards."""
    settings = get_settings()
    store = open_store(settings.store_url)
    try:
        yield tracking.configure(settings), store
    finally:
        store.close()


@app.command()
def promote(
    model: str = typer.Argument(..., help=MODEL_HELP),
    version: str = typer.Argument(..., help="The version to make champion."),
    reason: str = typer.Option("manual promotion", help="Why; goes to the audit log."),
) -> None:
    """Make VERSION the champion by hand (the gate is bypassed; the audit log says so)."""
    name = registry.registered_name(model)
    with _registry() as (client, store):
        move = registry.promote(
            client, store, name=name, version=version, actor=_actor(), reason=f"manual: {reason}",
            evidence={"gate": "bypassed by hand"},
        )  # fmt: skip
    console.print(f"{name}: champion {move.from_version or '—'} → {move.to_version}")


@app.command()
def rollback(
    model: str = typer.Argument(..., help=MODEL_HELP),
    reason: str = typer.Option("manual rollback", help="Why; goes to the audit log."),
) -> None:
    """Restore the previous champion in one command."""
    name = registry.registered_name(model)
    with _registry() as (client, store):
        move = registry.rollback(client, store, name=name, actor=_actor(), reason=reason)
    console.print(f"{name}: champion {move.from_version} → {move.to_version} (rolled back)")
