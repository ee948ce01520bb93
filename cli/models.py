"""`closedloop models`: what is registered, who moved which alias when and why, and manual moves."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from cli.kinds import Kind, OptionalKind, all_kinds, registered
from cli.output import console, emit_json

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from closedloop.store import Store

app = typer.Typer(help="Inspect the registry, promote or roll back champions.", no_args_is_help=True)


def _registered_names(model: str | None) -> list[tuple[str, str]]:
    """(kind, registered MLflow model) of the named kind, or of every kind when none is named."""
    chosen = [registered(model)] if model is not None else all_kinds()
    return [(k.name, k.config.registered_name) for k in chosen]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@app.command("list")
def list_versions(
    model: OptionalKind = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the registered versions with their aliases and gate decisions, newest first."""
    from closedloop import registry
    from closedloop.registry import tracking
    from closedloop.settings import get_settings

    client = tracking.configure(get_settings())
    listed = [
        (kind, name, registry.list_versions(client, name=name)) for kind, name in _registered_names(model)
    ]
    if as_json:
        found = [{"model": name, "versions": [v.__dict__ for v in versions]} for _, name, versions in listed]
        emit_json(found[0] if model is not None else {"models": found})
        return
    for kind, name, versions in listed:
        _print_versions(kind, name, versions)


def _print_versions(kind: str, name: str, versions: list[Any]) -> None:
    from rich.table import Table

    if not versions:
        console.print(f"{name}: no versions yet — run `closedloop retrain {kind}`")
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
    model: OptionalKind = None,
    limit: int = typer.Option(20, min=1, help="How many moves to show (per kind)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the audit log of alias moves: who, when, from which version to which, and why."""
    from closedloop import registry
    from closedloop.settings import get_settings
    from closedloop.store import open_store

    store = open_store(get_settings().store_url)
    try:
        logged = [
            (name, registry.history(store, name=name, limit=limit)) for _, name in _registered_names(model)
        ]
    finally:
        store.close()
    if as_json:
        found = [
            {"model": name, "moves": [m.model_dump(mode="json") for m in moves]} for name, moves in logged
        ]
        emit_json(found[0] if model is not None else {"models": found})
        return
    for name, moves in logged:
        _print_moves(name, moves)


def _print_moves(name: str, moves: list[Any]) -> None:
    from rich.table import Table

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
    from closedloop.registry import tracking
    from closedloop.settings import get_settings
    from closedloop.store import open_store

    settings = get_settings()
    store = open_store(settings.store_url)
    try:
        yield tracking.configure(settings), store
    finally:
        store.close()


@app.command()
def promote(
    model: Kind,
    version: str = typer.Argument(..., help="The version to make champion."),
    reason: str = typer.Option("manual promotion", help="Why; goes to the audit log."),
) -> None:
    """Make VERSION the champion by hand (the gate is bypassed; the audit log says so)."""
    from closedloop import registry

    name = registered(model).config.registered_name
    with _registry() as (client, store):
        move = registry.promote(
            client, store, name=name, version=version, actor=_actor(), reason=f"manual: {reason}",
            evidence={"gate": "bypassed by hand"},
        )  # fmt: skip
    console.print(f"{name}: champion {move.from_version or '—'} → {move.to_version}")


@app.command()
def rollback(
    model: Kind,
    reason: str = typer.Option("manual rollback", help="Why; goes to the audit log."),
) -> None:
    """Restore the previous champion in one command."""
    from closedloop import registry

    name = registered(model).config.registered_name
    with _registry() as (client, store):
        move = registry.rollback(client, store, name=name, actor=_actor(), reason=reason)
    console.print(f"{name}: champion {move.from_version} → {move.to_version} (rolled back)")
