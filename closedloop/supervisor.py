"""A small process supervisor for `closedloop demo`: start each service as a child process, report their
URLs, restart nothing silently, and on Ctrl-C (or SIGTERM) stop every child cleanly."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class Service:
    name: str
    command: list[str]
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Supervisor:
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, service: Service) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        out = (self.logs / f"{service.name}.log").open("ab")
        self.running[service.name] = subprocess.Popen(
            service.command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **service.env},
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )

    def wait(self) -> str | None:
        """Block until a child exits (returns its name) or we are interrupted (returns None)."""
        stop = False

        def _interrupt(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        while not stop:
            for name, process in self.running.items():
                if process.poll() is not None:
                    return name
            time.sleep(0.5)
        return None

    def stop_all(self, timeout: float = 30.0) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, process in self.running.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                os.killpg(process.pid, signal.SIGKILL)
