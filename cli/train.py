"""`closedloop train KIND --model NAME`: fit and evaluate one candidate on the kind's corpus under the kind's
fixed evaluation protocol, and print its metrics.

The protocol belongs to the kind (`ModelKind.evaluate`); so do its choices (`protocol_options`, e.g. a
split), which arrive here as `--NAME VALUE` pairs the kind declares, checked before anything trains.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from cli.kinds import Kind, all_kinds, registered
from cli.output import UsageProblem, emit_json, emit_table

if TYPE_CHECKING:
    from closedloop.kinds import ModelKind

# The kind's own options are not known before the kind is: click leaves them in `ctx.args`.
CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def protocol_arguments(args: list[str]) -> dict[str, str]:
    """`--split random` / `--split=random` pairs left over by click, as {"split": "random"}."""
    given: dict[str, str] = {}
    tokens = iter(args)
    for token in tokens:
        if not token.startswith("--") or token == "--":
            raise UsageProblem(f"unexpected argument {token!r}; the kind's options are written --NAME VALUE")
        name, equals, value = token[2:].partition("=")
        if not equals:
            value = next(tokens, "")
            if not value or value.startswith("--"):
                raise UsageProblem(f"--{name} needs a value")
        given[name] = value
    return given


def _kinds_epilog() -> str:
    """What each registered kind trains and which protocol options it takes (read when help is shown)."""
    lines = []
    for kind in all_kinds():
        options = "; ".join(o.usage() for o in kind.protocol_options())
        default = kind.config.default_candidates[0]
        models = "|".join(kind.config.candidates)
        lines.append(
            f"{kind.name}: --model {models} (default {default})" + (f"; {options}" if options else "")
        )
    return "\n\n".join(lines)


class KindsHelp(TyperCommand):
    """The train command, whose help ends with every registered kind's models and options."""

    @property  # type: ignore[override]
    def epilog(self) -> str | None:
        return _kinds_epilog()

    @epilog.setter
    def epilog(self, _value: str | None) -> None:
        pass  # computed from the registered kinds when help is shown


def _model(kind: ModelKind, name: str | None) -> str:
    candidates = kind.config.candidates
    if name is None:
        return kind.config.default_candidates[0] if kind.config.default_candidates else candidates[0]
    if name not in candidates:
        raise UsageProblem(f"unknown model {name!r} for {kind.name}; its candidates: {', '.join(candidates)}")
    return name


def _evaluate_distributed(
    kind: ModelKind,
    model: str,
    nproc: int,
    options: dict[str, str],
    seed: int,
    checkpoint_dir: Path | None,
    resume: bool,
) -> dict[str, Any] | None:
    """The kind's evaluation protocol run by `nproc` torchrun replicas; rank 0's metrics."""
    from closedloop.distributed import jobs, run_distributed

    if model not in kind.config.distributed_candidates:
        trains = ", ".join(kind.config.distributed_candidates) or "none"
        raise UsageProblem(
            f"--nproc: {kind.name}'s {model!r} does not train data-parallel (those that do: {trains})"
        )
    metrics: dict[str, Any] | None = run_distributed(
        jobs.evaluate,
        nproc,
        kind_name=kind.name,
        model=model,
        options=options,
        seed=seed,
        checkpoint_dir=checkpoint_dir.resolve() if checkpoint_dir else None,
        resume=resume,
    )
    return metrics


def train(
    ctx: typer.Context,
    kind_name: Kind,
    model: Annotated[
        str | None, typer.Option("--model", help="One of the kind's candidates (default: its first default).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the split and the model.")] = 0,
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Models that train in epochs: write a checkpoint every epoch here.")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue exactly from --checkpoint-dir.")] = False,
    nproc: Annotated[
        int,
        typer.Option(
            "--nproc",
            min=1,
            help="Train data-parallel on N local processes under torchrun (DDP: gloo on CPU, NCCL on GPUs); "
            "for the models the kind trains with the shared torch loop.",
        ),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Train one candidate under the kind's evaluation protocol and report its test metrics."""
    from closedloop.kinds.data import ProtocolError, protocol_choices
    from closedloop.settings import get_settings

    kind = registered(kind_name)
    chosen = _model(kind, model)
    try:
        options = protocol_choices(kind.protocol_options(), protocol_arguments(ctx.args))
    except ProtocolError as error:
        raise UsageProblem(f"{kind.name}: {error}") from None
    started = time.perf_counter()
    if nproc > 1:
        metrics = _evaluate_distributed(kind, chosen, nproc, options, seed, checkpoint_dir, resume)
    else:
        metrics = kind.evaluate(
            get_settings(), chosen, options=options, seed=seed, checkpoint_dir=checkpoint_dir, resume=resume
        )
    if metrics is None:
        raise UsageProblem(
            f"{kind.name} has no offline evaluation protocol; `closedloop retrain {kind.name}` trains it "
            "and the gate judges it on live data"
        )
    payload: dict[str, Any] = {"corpus": kind.name, "model": chosen, **options, **metrics}
    payload["nproc"] = nproc
    payload["seconds"] = round(time.perf_counter() - started, 2)
    if as_json:
        emit_json(payload)
    else:
        emit_table(f"closedloop train {kind.name}", payload)


def register(app: typer.Typer) -> None:
    app.command(name="train", cls=KindsHelp, context_settings=CONTEXT)(train)
