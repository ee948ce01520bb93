"""A small process supervisor: start services as child processes once the services they need are ready,
wait, and on Ctrl-C (or SIGTERM) stop every child — and every process a child started — cleanly.

Each child runs in its own session (so a terminal's Ctrl-C reaches only us) and therefore leads its own
process group; stopping a service signals the whole group, so servers that fork workers (MLflow's gunicorn,
Prefect's flow-run subprocesses) leave nothing behind. Nothing is restarted silently: a service that exits
stops the platform, unless it is marked `oneshot` (the replay ends when its corpus does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

Probe = Callable[[], bool]


class ServiceFailed(RuntimeError):
    """A service exited, or did not become ready in time, while the platform was starting."""


def http_ok(url: str) -> Probe:
    """A readiness probe: `url` answers 200."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


@dataclass
class Service:
    """One process of the platform: its command, what it needs first, and how to tell it is ready."""

    name: str
    command: list[str]
    url: str | None = None  # shown to the user once ready
    env: dict[str, str] = field(default_factory=dict)  # the child's whole environment when given
    ready: Probe | None = None  # None: ready as soon as it runs
    needs: tuple[str, ...] = ()  # services that must be ready before this one starts
    oneshot: bool = False  # may finish (its exit does not stop the platform)
    finishes: bool = False  # a task: ready once it has exited with 0 (a non-zero exit fails the start)

    @property
    def may_exit(self) -> bool:
        return self.oneshot or self.finishes


@dataclass
class Supervisor:
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)

    def log_path(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def start(self, service: Service) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log_path(service.name).open("ab") as out:
            self.running[service.name] = subprocess.Popen(
                service.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=service.env or None,
                start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
            )
        self.services[service.name] = service
        log.info("started %s (pid %d)", service.name, self.running[service.name].pid)

    def start_all(
        self,
        services: Iterable[Service],
        *,
        timeout: float = 300.0,
        on_ready: Callable[[Service], None] | None = None,
    ) -> None:
        """Start every service as soon as the ones it `needs` are ready; return once all are ready.

        Raises ServiceFailed (after which `stop_all` still cleans up) when one exits or the time runs out."""
        pending = list(services)
        starting: list[Service] = []
        known = {s.name for s in pending} | set(self.running)
        for service in pending:
            if missing := set(service.needs) - known:
                raise ValueError(f"{service.name} needs unknown services: {sorted(missing)}")
        deadline = time.monotonic() + timeout
        while pending or starting:
            for service in [s for s in pending if set(s.needs) <= self.ready]:
                self.start(service)
                pending.remove(service)
                starting.append(service)
            for service in list(starting):
                process = self.running[service.name]
                if _is_ready(service, process):
                    starting.remove(service)
                    self.ready.add(service.name)
                    if on_ready is not None:
                        on_ready(service)
                elif process.poll() is not None and not service.oneshot:  # a task failed, a server died
                    raise ServiceFailed(
                        f"{service.name} exited with {process.returncode} while starting; "
                        f"see {self.log_path(service.name)}:\n{self.tail(service.name)}"
                    )
            if time.monotonic() > deadline:
                late = [s.name for s in starting + pending]
                raise ServiceFailed(f"not ready after {timeout:.0f} s: {', '.join(late)}")
            if pending or starting:
                time.sleep(0.5)

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.log_path(name)
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def wait(self) -> str | None:
        """Block until a service exits (returns its name) or we are interrupted (returns None).

        Tasks and oneshot services may finish; their exit is logged and waiting goes on."""
        stop = False

        def _interrupt(*_: object) -> None:
            nonlocal stop
            stop = True

        previous = signal.signal(signal.SIGINT, _interrupt), signal.signal(signal.SIGTERM, _interrupt)
        finished: set[str] = set()
        try:
            while not stop:
                for name, process in self.running.items():
                    if name in finished or process.poll() is None:
                        continue
                    if not self.services[name].may_exit:
                        return name
                    finished.add(name)
                    log.info("%s finished with exit code %s", name, process.returncode)
                time.sleep(0.5)
        finally:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])
        return None

    def stop_all(self, timeout: float = 30.0) -> None:
        """Stop the services in reverse start order (clients before the servers they talk to): SIGTERM
        to each process group, SIGKILL to whatever is left after `timeout`; nothing survives. A second
        Ctrl-C (or SIGTERM) meanwhile is ignored, so that it cannot leave half the platform running."""
        main = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM) if main else ()
        previous = [signal.signal(sig, signal.SIG_IGN) for sig in signals]
        try:
            for name in reversed(list(self.running)):
                self._stop(name, self.running[name], timeout)
        finally:
            for sig, handler in zip(signals, previous, strict=True):
                signal.signal(sig, handler)
        self.ready.clear()

    def _stop(self, name: str, process: subprocess.Popen[bytes], timeout: float) -> None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s; killing it", name, timeout)
        # The leader is gone; children it started may linger (e.g. a flow-run subprocess): give them
        # a moment after the SIGTERM, then kill the group.
        deadline = time.monotonic() + 5.0
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if group_alive(process.pid):
            _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _is_ready(service: Service, process: subprocess.Popen[bytes]) -> bool:
    if service.finishes:
        return process.poll() == 0
    return service.ready is None or service.ready()


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Whether any process (other than an unreaped zombie leader) is left in process group `pgid`."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg(0) also succeeds while only zombies are left (a container's PID 1 may never reap orphans);
    # where /proc exists, look at the members' states.
    if not Path("/proc/self/stat").exists():
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            return True
    return False
