"""The `cli` suite: how long the command line takes to answer, run as a user types it, in a subprocess.

`closedloop --help` must not wait for MLflow, torch or Prefect to import (target ≤ 1 s); `closedloop models
list KIND` imports MLflow and reads an empty registry in a fresh home (target ≤ 3 s). Each command runs
`REPEATS` times; the median is the figure, the first run (cold file cache) is reported beside it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import markdown_table
from closedloop.kinds import kind, kinds
from closedloop.settings import child_environment

REPEATS = 5
TARGETS = {"help": 1.0, "models_list": 3.0}


def _time(args: list[str], home: Path) -> float:
    env = child_environment(settings={"home": str(home)})
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"closedloop {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def _measure(args: list[str], home: Path) -> dict[str, Any]:
    runs = [_time(args, home) for _ in range(REPEATS)]
    return {
        "command": "closedloop " + " ".join(args),
        "first_s": round(runs[0], 3),
        "median_s": round(statistics.median(runs), 3),
        "max_s": round(max(runs), 3),
    }


def run(only: str | None = None) -> dict[str, Any]:
    found = kind(only) if only else kinds()[0]
    with tempfile.TemporaryDirectory(prefix="closedloop-bench-cli-") as tmp:
        home = Path(tmp) / "home"
        figures = {
            "help": _measure(["--help"], home),
            "models_list": _measure(["models", "list", found.name], home),
        }
    for name, figure in figures.items():
        figure["target_s"] = TARGETS[name]
        figure["met"] = figure["median_s"] <= TARGETS[name]
    return {"cli": figures}


def tables(results: dict[str, Any]) -> str:
    rows = [
        [
            f["command"],
            f["median_s"],
            f["first_s"],
            f["max_s"],
            f"≤ {f['target_s']:g}",
            "yes" if f["met"] else "NO",
        ]
        for f in results["cli"].values()
    ]
    headers = ["command", "median s", "first run s", "max s", "target", "met"]
    return f"Start-up time of the command line ({REPEATS} runs each, fresh home).\n\n" + markdown_table(
        headers, rows
    )
