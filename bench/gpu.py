"""The GPU check behind `bench/gpu_check.sh`: every model a kind trains with the shared torch loop, trained by
the CLI on the CPU and on CUDA (AMP), its checkpoint resumed, and 2-process DDP when two devices are visible.

`python -m bench.gpu [--cpu-only] [--kind KIND]` prints one table (wall time and metrics per run) and one JSON
line, and exits non-zero when a check fails. With `--cpu-only` (no GPU) it runs the same checks on the CPU,
with 2 gloo processes standing in for the 2 devices. Each run is the command line a user would type.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.contract import taking_part
from bench.ddp import distributed_runs

TIMEOUT_S = 300  # per CLI run: the whole check must stay well under 8 minutes


def _train(args: list[str], *, gpu: bool) -> dict[str, Any]:
    """`closedloop train ... --json` in a subprocess; CPU runs see no CUDA device at all."""
    env = dict(os.environ)
    if not gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""  # the loop's "auto" device then picks the CPU
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "train", *args, "--json"],
        capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"closedloop train {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall_s"] = round(time.perf_counter() - started, 2)
    return report


def _device_line() -> tuple[str, int]:
    import torch

    if not torch.cuda.is_available():
        return f"cpu only (torch {torch.__version__})", 0
    from models.training.device import autocast_dtype

    dtype = autocast_dtype(torch.device("cuda"), amp=True)
    name = torch.cuda.get_device_name(0)
    return (
        f"{torch.cuda.device_count()} x {name}, AMP {dtype} (torch {torch.__version__})",
        torch.cuda.device_count(),
    )


def _plan(
    base: list[str], checkpoints: list[str], cpu_only: bool, devices: int
) -> list[tuple[str, int, list[str], bool]]:
    """(label, processes, arguments, on the GPU?) of each run for one model: CPU, then the accelerated run
    writing a checkpoint, its resume, and 2-process DDP where two devices (or, CPU only, two cores) exist."""
    target = "cpu" if cpu_only else "cuda"
    gpu = not cpu_only
    plan = [("cpu", 1, base, False)] if gpu else []
    plan += [
        (target, 1, base + checkpoints, gpu),
        (f"{target} resumed", 1, base + checkpoints + ["--resume"], gpu),
    ]
    if cpu_only or devices >= 2:
        plan.append((f"{target} ddp", 2, [*base, "--nproc", "2"], gpu))
    return plan


def check(kind_name: str | None, cpu_only: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the checks; returns (one row per run, the failures)."""
    device, devices = _device_line()
    print(f"gpu_check: {device}", flush=True)
    if not cpu_only and devices == 0:
        return [], ["no CUDA device is visible (run with --cpu-only to check the CPU path)"]
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for found, parts in taking_part("train", kind_name):
        for args in distributed_runs(found, parts.training_runs)[:1]:  # one protocol per kind: stay short
            metric = found.config.metric.replace("_at_", "@")  # the CLI's key: ndcg_at_10 -> ndcg@10
            scores: dict[str, Any] = {}
            with tempfile.TemporaryDirectory(prefix="gpu-check-") as scratch:
                checkpoints = ["--checkpoint-dir", str(Path(scratch) / "ckpt")]
                for label, nproc, command, gpu in _plan([found.name, *args], checkpoints, cpu_only, devices):
                    try:
                        report = _train(command, gpu=gpu)
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        failures.append(f"{found.name} {label}: {error}")
                        continue
                    scores[label] = report.get(metric)
                    print(
                        f"gpu_check: {found.name} {label}: {report['wall_s']} s, {metric} {scores[label]}",
                        flush=True,
                    )
                    rows.append(
                        {"kind": found.name, "model": report["model"], "run": label, "nproc": nproc,
                         "wall_s": report["wall_s"], "metric": metric, "value": report.get(metric)}
                    )  # fmt: skip
            fresh = "cpu" if cpu_only else "cuda"
            if f"{fresh} resumed" in scores and scores[f"{fresh} resumed"] != scores.get(fresh):
                failures.append(
                    f"{found.name}: the resumed checkpoint scores {metric} {scores[f'{fresh} resumed']}, "
                    f"the run that wrote it {scores.get(fresh)}"
                )
    return rows, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--cpu-only", action="store_true", help="no GPU: check the CPU path (2 gloo processes)"
    )
    parser.add_argument("--kind", help="check only this model kind")
    args = parser.parse_args()
    rows, failures = check(args.kind, args.cpu_only)
    print(f"{'kind':<10} {'model':<8} {'run':<14} {'nproc':>5} {'wall s':>8}  metric")
    for r in rows:
        value = "" if r["value"] is None else f"{r['value']:.4f}"
        print(
            f"{r['kind']:<10} {r['model']:<8} {r['run']:<14} {r['nproc']:>5} {r['wall_s']:>8.2f}  "
            f"{r['metric']} {value}"
        )
    print(json.dumps({"runs": rows, "failures": failures}))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
