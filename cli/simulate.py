"""`closedloop simulate KIND`: replay the later part of a corpus through the API as live traffic, or
(`--fast`) measure headless what the loop is worth against a frozen first champion."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cli.kinds import Kind
from cli.output import UsageProblem, emit_json, emit_table, errors, fail

Share = Annotated[float, typer.Option(min=0.0, max=1.0)]


def simulate(
    model: Kind,
    api: Annotated[str, typer.Option(help="Base URL of the running API.")] = "http://127.0.0.1:8000",
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many requests.")] = None,
    rate: Annotated[
        float, typer.Option(min=0.0, help="Requests per second (0: as fast as possible).")
    ] = 10.0,
    feedback_rate: Annotated[
        float, typer.Option("--feedback-rate", min=0.0, max=1.0, help="Share of predictions users answer.")
    ] = 0.3,
    wrong_share: Annotated[
        float, typer.Option("--wrong-share", min=0.0, max=1.0, help="Share of user feedback that is wrong.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated users.")] = 0,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="Client key (default: the home's first client key, trusted first)."),
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds to wait for the API to serve a champion.")
    ] = 120.0,
    annotators: Annotated[
        bool,
        typer.Option(
            "--annotators",
            help="Simulated annotators answer the labeling queue from the corpus's labels, after "
            "CLOSEDLOOP_REPLAY_ANNOTATION_DELAY seconds (needs the API's store: same CLOSEDLOOP_HOME).",
        ),
    ] = False,
    passes: Annotated[
        int,
        typer.Option(
            min=0, help="Times through the stream (0: until stopped); each pass's end is reported on stderr."
        ),
    ] = 1,
    cursor: Annotated[
        Path | None,
        typer.Option(
            help="Keep the replay's position in this file and resume from it (the demo keeps one per kind "
            "under HOME/replay/); delete it to start over."
        ),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Headless benchmark: frozen champion vs the loop, no API needed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Stream the part of the corpus the first champion never saw, in time order, with user feedback."""
    from closedloop.settings import get_settings
    from replay import NothingToReplay

    settings = get_settings()
    try:
        if fast:
            result = _fast(model, settings, seed=seed)
        else:
            result = _live(
                model,
                settings,
                api=api,
                limit=limit,
                rate=rate,
                feedback_rate=feedback_rate,
                wrong_share=wrong_share,
                seed=seed,
                api_key=api_key or _client_key(settings),
                ready_timeout=ready_timeout,
                annotators=annotators,
                passes=passes,
                cursor=cursor,
            )
    except NothingToReplay as error:
        raise UsageProblem(str(error)) from None
    if as_json:
        emit_json(result)
    elif fast:
        from cli.simulate_report import print_benchmark

        print_benchmark(result)
    else:
        emit_table(f"closedloop simulate {model}", _flat(result))


def _client_key(settings: Any) -> str | None:
    """The key the simulated users send: a trusted client key if there is one (HOME/api-keys.json, the
    settings), else any client key; None: no key (the API must allow anonymous writes)."""
    from closedloop.serving.keys import configured_keys

    clients = [k for k in configured_keys(settings) if k.role == "client"]
    clients.sort(key=lambda k: k.trust != "trusted")
    return clients[0].secret if clients else None


def _live(model: str, settings: Any, *, api: str, annotators: bool, **options: Any) -> dict[str, Any]:
    import httpx

    from replay import AnnotationDesk, ApiUnavailable, ReplayOptions, replay

    if not api.startswith(("http://", "https://")):
        raise UsageProblem(f"--api must be an http(s) URL such as http://127.0.0.1:8000, got {api!r}")
    try:
        replay_options = ReplayOptions(**options)
    except ValueError as error:
        raise UsageProblem(str(error)) from None
    desk = AnnotationDesk(model, settings, seed=replay_options.seed) if annotators else None
    try:
        with httpx.Client(base_url=api, timeout=60.0) as client, _progress(model) as (update, total):
            tally = replay(
                model,
                client=client,
                settings=settings,
                options=replay_options,
                progress=update,
                on_total=total,
                desk=desk,
                on_pass=_say_pass,
            )
    except ApiUnavailable as error:
        fail(str(error))
    finally:
        if desk is not None:
            desk.close()
    return tally.as_dict()


def _fast(model: str, settings: Any, *, seed: int) -> dict[str, Any]:
    from replay import run_benchmark

    def say(line: str) -> None:
        if sys.stderr.isatty():
            errors.print(line, highlight=False)

    return run_benchmark(model, settings, seed=seed, say=say)


def _say_pass(tally: Any) -> None:
    """One line per finished pass (the demo's log shows it): what was served, by which versions."""
    served = ", ".join(f"v{v}: {n:,}" for v, n in sorted(tally.versions.items(), key=lambda kv: int(kv[0])))
    errors.print(
        f"replay of {tally.model}: pass {tally.passes} through the stream finished — {tally.requests:,} "
        f"requests in all, served by {served or 'nobody'}; feedback {tally.feedback:,}",
        highlight=False,
    )


@contextmanager
def _progress(model: str) -> Iterator[tuple[Any, Any]]:
    """A progress bar on stderr when it is a terminal; silence otherwise (CI, pipes, the demo's log file)."""
    if not sys.stderr.isatty():
        yield (lambda _done: None), (lambda _total: None)
        return
    bar = Progress(
        TextColumn(f"replaying {model}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
    )
    task = bar.add_task(model, total=None)
    with bar:
        yield (lambda done: bar.update(task, completed=done)), (lambda total: bar.update(task, total=total))


def _flat(result: dict[str, Any]) -> dict[str, Any]:
    versions = ", ".join(f"v{v}: {n}" for v, n in sorted(result.pop("versions").items()))
    return {**result, "served by": versions or "—"}


def register(app: typer.Typer) -> None:
    app.command(name="simulate")(simulate)
