"""`closedloop interactions import`: load a historical interaction log into the store, idempotently."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.kinds import all_kinds, checked, registered
from cli.output import UsageProblem, console, emit_json, errors

if TYPE_CHECKING:
    from cli.interaction_files import Row
    from closedloop.kinds import ModelKind
    from closedloop.kinds.data import KnownItems
    from closedloop.settings import Settings
    from closedloop.store import InteractionIn, Store

app = typer.Typer(help="The interaction log: import historical interactions.", no_args_is_help=True)
BATCH = 1_000  # events per transaction
SHOWN_REASONS = 5


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    replays: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)  # the first few, with their line numbers

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.reasons) < SHOWN_REASONS:
            self.reasons.append(f"line {line}: {reason}")


@app.command(name="import")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The file to import."),
    movielens: bool = typer.Option(
        False, "--movielens", help="MovieLens u.data: user, item, rating, unix time (tab-separated)."
    ),
    actor: str = typer.Option("import", "--actor", help="Who the rows are from, where a row names nobody."),
    model: str | None = typer.Option(
        None,
        "--model",
        metavar="KIND",
        callback=checked,
        help="The kind whose interaction log this is (default: the one kind that learns from interactions).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import interactions from CSV, JSON Lines (.jsonl) or MovieLens u.data, 1,000 per transaction.

    CSV and JSON Lines rows give user_id, item_id, kind (view, rating, click, dismiss), occurred_at (ISO 8601
    with offset, or Unix seconds), value (a rating's 1-5 stars), and optionally event_id, prediction_id and
    actor. A row without an event_id gets one from its content, so importing a file again stores nothing
    twice. Rows the store refuses (unknown item, rating without stars, future time...) are counted and
    skipped; a line that cannot be read stops the import before anything is stored.
    """
    from cli.interaction_files import MalformedFile, file_format, read_interaction_file
    from closedloop.settings import get_settings
    from closedloop.store import open_store

    settings = get_settings()
    kind = _interaction_kind(model)
    fmt = file_format(path, movielens=movielens)
    try:
        total = sum(
            1 for _ in read_interaction_file(path, fmt=fmt, model=kind.name, actor=actor)
        )  # check first
    except MalformedFile as error:
        raise UsageProblem(f"{error}. Nothing was imported; fix the line and run the import again.") from None
    items = _catalogue(kind, settings)
    store = open_store(settings.store_url)
    try:
        with _progress(total) as advance:
            rows = read_interaction_file(path, fmt=fmt, model=kind.name, actor=actor)
            summary = _import(store, rows, items=items, advance=advance)
    finally:
        store.close()
    _report(path, summary, as_json=as_json)


def _interaction_kind(model: str | None) -> ModelKind:
    """The named kind, which must learn from interactions; else the one registered kind that does."""
    if model is not None:
        kind = registered(model)
        if not kind.config.interactions:
            raise UsageProblem(f"{kind.name} does not learn from an interaction log; nothing to import")
        return kind
    learning = [k for k in all_kinds() if k.config.interactions]
    if len(learning) != 1:
        names = ", ".join(k.name for k in learning) or "none"
        raise UsageProblem(f"name the kind with --model KIND; kinds that learn from interactions: {names}")
    return learning[0]


def _catalogue(kind: ModelKind, settings: Settings) -> KnownItems | None:
    """The items the kind's data knows when it is cached, else None (telling the user items go unchecked)."""
    from closedloop.corpora import CorpusMissing

    try:
        return kind.known_items(settings)
    except CorpusMissing:
        fix = f"`closedloop data fetch {kind.name}`"
        errors.print(
            f"{kind.name}'s data is not cached: item ids are not checked ({fix})",
            highlight=False,
            soft_wrap=True,
        )
        return None


def _import(store: Store, rows: Iterator[Row], *, items: KnownItems | None, advance: Any) -> Summary:
    from closedloop.store import InvalidInteraction, check_interaction

    summary = Summary()
    batch: list[tuple[int, InteractionIn]] = []  # (line, event)
    for row in rows:
        summary.read += 1
        advance(1)
        event = row.event
        if event is None:
            summary.reject(row.line, row.reason or "invalid")
            continue
        try:
            check_interaction(event)  # refused alone here, not with its whole batch in the store
        except InvalidInteraction as error:
            summary.reject(row.line, str(error))
            continue
        if items is not None and event.item_id not in items.items:
            summary.reject(row.line, f"unknown item {event.item_id}: not in {items.catalogue}")
            continue
        batch.append((row.line, event))
        if len(batch) == BATCH:
            _commit(store, batch, summary)
            batch = []
    if batch:
        _commit(store, batch, summary)
    return summary


def _commit(store: Store, batch: list[tuple[int, InteractionIn]], summary: Summary) -> None:
    """One transaction for the batch; a row the store refuses (a changed replay) is split off and skipped."""
    from closedloop.store import StoreError
    from closedloop.store.writer import commit_bisecting, commit_interactions

    requests: list[Sequence[InteractionIn]] = [[event] for _, event in batch]
    outcomes, _ = commit_bisecting(store, requests, commit_interactions)
    for (line, _), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, StoreError):
            summary.reject(line, str(outcome))
        elif isinstance(outcome, Exception):
            raise outcome  # the database failed: stop (what was committed stays; importing again resumes)
        else:
            [(_, created)] = outcome
            summary.stored += created
            summary.replays += not created


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; silence otherwise (CI, pipes)."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=errors
    )
    task = bar.add_task("import", total=total)
    with bar:
        yield lambda n: bar.advance(task, n)


def _report(path: Path, summary: Summary, *, as_json: bool) -> None:
    if as_json:
        emit_json({"file": str(path), **summary.__dict__})
        return
    lines = [
        f"{path.name}: {summary.read} rows read, {summary.stored} stored, {summary.replays} already stored "
        f"(or repeated in the file), {summary.rejected} rejected",
        *(f"  {reason}" for reason in summary.reasons),
    ]
    if summary.rejected > len(summary.reasons):
        lines.append(f"  … and {summary.rejected - len(summary.reasons)} more")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
