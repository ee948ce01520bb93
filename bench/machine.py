"""A description of the machine a benchmark ran on, recorded next to every figure."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any


def describe_machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        mem_gib = round(int(first[1]) / 2**20, 1)
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        gpu = None
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": mem_gib,
        "gpu": gpu,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }


def machine_line(machine: dict[str, Any]) -> str:
    gpu = machine["gpu"] or "no GPU"
    return (
        f"{machine['date']}, {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, {gpu}, "
        f"Python {machine['python']}"
    )
