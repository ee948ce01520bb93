"""The `train` suite: every model under every protocol, each run as the CLI a user would type, for every kind
that takes part (its `training_runs`), and a table per kind (its `training_columns`)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench.contract import benchmarks_of, taking_part
from bench.report import markdown_table

PREFIX = "train_"  # results key of a kind: train_<kind>


def cli_json(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args, "--json"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"closedloop {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(only: str | None = None) -> dict[str, Any]:
    """`closedloop train <kind> <run> --json` for every run of every kind taking part."""
    cli_json("data", "fetch", "all")
    return {
        f"{PREFIX}{found.name}": [cli_json("train", found.name, *args) for args in parts.training_runs]
        for found, parts in taking_part("train", only)
    }


def tables(results: dict[str, Any]) -> str:
    """One table per kind measured, in the kinds' order, under the kind's caption."""
    sections = []
    for key, runs in results.items():
        if not key.startswith(PREFIX):
            continue
        _found, parts = benchmarks_of(key.removeprefix(PREFIX))
        headers = [header for header, _ in parts.training_columns]
        rows = [[run[column] for _, column in parts.training_columns] for run in runs]
        sections.append(f"{parts.training_caption}:\n\n" + markdown_table(headers, rows))
    return "\n\n".join(sections) + "\n"
