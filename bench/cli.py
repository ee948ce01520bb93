"""The `cli` suite: how long the command line takes to answer, run as a user types it, in a subprocess.

`closedloop --help` must not wait for MLflow, torch or Prefect to import (target ≤ 1 s); `closedloop models
list KIND` imports MLflow and reads an empty registry in a fresh home (target ≤ 3 s). Each command runs
`REPEATS` times; the median is the figure, the first run (cold file cache) is reported beside it.
"""

from __future__ import annotations

import resource
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


def _time(args: list[str], home: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; the CPU time tells what a busy machine's wall time hides."""
    env = child_environment(settings={"home": str(home)})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"closedloop {' '.join(args)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def _measure(args: list[str], home: Path) -> dict[str, Any]:
    runs = [_time(args, home) for _ in range(REPEATS)]
    walls = [wall for wall, _ in runs]
    return {
        "command": "closedloop " + " ".join(args),
        "first_s": round(walls[0], 3),
        "median_s": round(statistics.median(walls), 3),
        "max_s": round(max(walls), 3),
        "median_cpu_s": round(statistics.median(cpu for _, cpu in runs), 3),
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
            f["median_cpu_s"],
            f["first_s"],
            f["target_s"],
            "yes" if f["met"] else "NO",
        ]
        for f in results["cli"].values()
    ]
    headers = ["command", "median s", "median CPU s", "first run s", "target s", "met (median s)"]
    intro = f"Start-up time of the command line ({REPEATS} runs each, in a fresh home)."
    return f"{intro}\n\n{markdown_table(headers, rows)}"
