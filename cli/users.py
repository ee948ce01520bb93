"""`closedloop users`: accounts of the labeling UI (annotators, adjudicators, admins)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from cli.output import console, emit_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Manage labeling accounts: add, list, disable, enable.", no_args_is_help=True)


class RoleName(StrEnum):
    annotator = "annotator"
    adjudicator = "adjudicator"
    admin = "admin"


@app.command()
def add(
    username: str = typer.Argument(..., help="Login name: 1-64 letters, digits, '_', '.', '@' or '-'."),
    role: RoleName = typer.Option(RoleName.annotator, "--role", help="What the account may do."),
    password: str = typer.Option(
        ...,
        "--password",
        envvar="CLOSEDLOOP_NEW_USER_PASSWORD",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 8 characters; prompted for when not given (or set CLOSEDLOOP_NEW_USER_PASSWORD).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the new account as JSON."),
) -> None:
    """Create a labeling account (the password is stored as an argon2id hash only)."""
    from closedloop.labeling import create_user

    with store_session() as session:
        user = create_user(session, username=username, password=password, role=role.value)
    if as_json:
        emit_json(user.model_dump(mode="json"))
        return
    console.print(f"added [green]{user.username}[/] ({user.role})", highlight=False)


@app.command(name="list")
def list_accounts(as_json: bool = typer.Option(False, "--json", help="Print the accounts as JSON.")) -> None:
    """List every account with its role and whether it is disabled."""
    from rich.table import Table

    from closedloop.labeling import list_users

    with store_session() as session:
        users = list_users(session)
    if as_json:
        emit_json({"users": [u.model_dump(mode="json") for u in users]})
        return
    if not users:
        console.print("no accounts yet — add one with `closedloop users add NAME --role admin`")
        return
    table = Table(title="labeling accounts")
    for header in ("username", "role", "status", "created"):
        table.add_column(header)
    for user in users:
        status = "[red]disabled[/]" if user.disabled else "active"
        table.add_row(user.username, user.role, status, user.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@app.command()
def disable(username: str = typer.Argument(..., help="The account to lock out.")) -> None:
    """Disable an account: it cannot log in, and its open sessions stop working at once."""
    _set(username, disabled=True)


@app.command()
def enable(username: str = typer.Argument(..., help="The account to let back in.")) -> None:
    """Re-enable a disabled account."""
    _set(username, disabled=False)


def _set(username: str, *, disabled: bool) -> None:
    from closedloop.labeling import set_disabled

    with store_session() as session:
        user = set_disabled(session, username=username, disabled=disabled)
    console.print(f"{user.username}: {'disabled' if user.disabled else 'enabled'}", highlight=False)


@contextmanager
def store_session() -> Iterator[Session]:
    """A session on the configured store (migrated on open) for one command; closed with the store."""
    from closedloop.settings import get_settings
    from closedloop.store import open_store

    store = open_store(get_settings().store_url)
    try:
        with store.session() as session:
            yield session
    finally:
        store.close()
