"""`closedloop keys`: the API keys of this home (HOME/api-keys.json, mode 0600)."""

from __future__ import annotations

import typer

from cli.output import console, emit_json

app = typer.Typer(help="Manage the API's keys: create, list.", no_args_is_help=True)


@app.command()
def create(
    admin: bool = typer.Option(False, "--admin", help="An admin key (the /v1/admin routes)."),
    untrusted: bool = typer.Option(
        False,
        "--untrusted",
        help="A client key whose actors count as one voter of reduced weight (default: trusted, each "
        "actor it names is a voter).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the new key as JSON."),
) -> None:
    """Create a key and write it to HOME/api-keys.json; the API reads that file when it starts."""
    from closedloop.serving.keys import create_key, key_file
    from closedloop.settings import get_settings

    settings = get_settings()
    key = create_key(
        settings, role="admin" if admin else "client", trust="untrusted" if untrusted else "trusted"
    )
    if as_json:
        emit_json({"id": key.id, "role": key.role, "trust": key.trust, "secret": key.secret})
        return
    console.print(f"{key.role} key {key.id} ({key.trust}) written to {key_file(settings)}")
    console.print(f"send it as the X-API-Key header: {key.secret}", highlight=False)
    console.print("restart the API for it to take the new key")


@app.command(name="list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The keys the API accepts (ids, roles and trust levels; never the secrets)."""
    from closedloop.serving.keys import configured_keys
    from closedloop.settings import get_settings

    rows = [{"id": k.id, "role": k.role, "trust": k.trust} for k in configured_keys(get_settings())]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        console.print(f"{row['id']}  {row['role']:<6} {row['trust']}")
    if not rows:
        console.print("no keys: `closedloop keys create` makes one")
