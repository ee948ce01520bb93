"""The `ddp` suite: each model a kind trains with the shared torch loop, under its train-suite protocols, run
as `closedloop train <kind> ... --nproc N` for N = 1 and 2 (torchrun, gloo on CPU), one after the other in the
same run: the wall time of each and the metrics, so a reader sees what the second process buys and that the
quality holds."""

from __future__ import annotations

from typing import Any

from bench.contract import benchmarks_of, taking_part
from bench.report import markdown_table
from bench.training import cli_json

PREFIX = "ddp_"  # results key of a kind: ddp_<kind>
NPROCS = (1, 2)


def distributed_runs(model_kind: Any, runs: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    """The train suite's runs of the kind whose --model trains data-parallel."""
    chosen = model_kind.config.distributed_candidates
    return [args for args in runs if "--model" in args and args[args.index("--model") + 1] in chosen]


def run(only: str | None = None) -> dict[str, Any]:
    """`closedloop train <kind> <run> --nproc N --json`, N = 1, 2, for each data-parallel run of each kind."""
    cli_json("data", "fetch", "all")
    results: dict[str, Any] = {}
    for found, parts in taking_part("train", only):
        measured = [
            cli_json("train", found.name, *args, "--nproc", str(nproc))
            for args in distributed_runs(found, parts.training_runs)
            for nproc in NPROCS
        ]
        if measured:
            results[f"{PREFIX}{found.name}"] = measured
    return results


def tables(results: dict[str, Any]) -> str:
    """One table per kind: its train-suite columns with the process count beside the model."""
    sections = []
    for key, runs in results.items():
        if not key.startswith(PREFIX):
            continue
        _found, parts = benchmarks_of(key.removeprefix(PREFIX))
        columns = [("processes", "nproc"), *parts.training_columns]
        rows = [[run.get(column, "") for _, column in columns] for run in runs]
        sections.append(
            f"{parts.training_caption}, 1 and 2 torchrun processes (gloo, CPU):\n\n"
            + markdown_table([header for header, _ in columns], rows)
        )
    return "\n\n".join(sections) + "\n"
