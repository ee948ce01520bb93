"""The `retrain` suite: two full retraining flow runs (snapshot → promote) per kind taking part, on the real
corpora, in a fresh home, so the first run meets no champion and the second, on identical data, must be
refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.contract import taking_part
from bench.report import markdown_table
from closedloop.settings import get_settings


def _retrain(model: str, home: Path) -> dict[str, Any]:
    env = {**os.environ, "CLOSEDLOOP_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "retrain", model, "--reason", "bench", "--json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"closedloop retrain {model} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"model": model, "version": result["version"], "promoted": result["promoted"],
            "reason": result["reason"], "seconds": round(seconds, 1)}  # fmt: skip


def run(only: str | None = None) -> dict[str, Any]:
    settings = get_settings()
    subprocess.run([sys.executable, "-m", "cli", "data", "fetch", "all"], check=True)
    with tempfile.TemporaryDirectory(prefix="closedloop-bench-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(settings.corpus_dir, home / "data")
        rows = [_retrain(found.name, home) for found, _ in taking_part("retrain", only) for _twice in (1, 2)]
    return {"retrain": rows}


def tables(results: dict[str, Any]) -> str:
    rows = [[r["model"], r["version"], "yes" if r["promoted"] else "no", r["reason"], r["seconds"]]
            for r in results["retrain"]]  # fmt: skip
    return (
        "One `closedloop retrain` flow run each (wall time of the whole command, Prefect start-up included); "
        "the second run of each model sees identical data:\n\n"
        + markdown_table(["model", "version", "promoted", "gate's reason", "seconds"], rows)
        + "\n"
    )
