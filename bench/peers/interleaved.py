"""Several servers measured in turns: every round drives each server at each of its client counts for a few
seconds, and a server's figures pool its rounds. A burst of load from the other agents on this machine then
falls on all servers alike instead of on whichever was measured at that moment."""

from __future__ import annotations

from dataclasses import dataclass

from bench.loadgen import Body, Load, drive

ROUNDS = 5  # more, shorter turns spread a burst of outside load over all servers
SECONDS = 3.0  # per server, client count and round


@dataclass(frozen=True)
class Target:
    """A running server: its name in the results, port, route, request bodies and client counts."""

    name: str
    port: int
    path: str
    body: Body
    clients: tuple[int, ...] = (1, 8)


def key(target: str, clients: int) -> str:
    """The results key of `target` at `clients` (`ours_single`, `ours_8`: the names the README reads)."""
    return f"{target}_single" if clients == 1 else f"{target}_{clients}"


def warm_up(targets: list[Target]) -> None:
    """A few requests at each client count, so first-request costs (imports, caches) stay out of the
    figures."""
    for target in targets:
        for clients in target.clients:
            drive(target.port, target.path, target.body, concurrency=clients, total=100, seconds=10.0)


def measure(targets: list[Target], rounds: int = ROUNDS, seconds: float = SECONDS) -> dict[str, Load]:
    """Each target at each of its client counts, `rounds` times in turn, pooled per (target, clients)."""
    pooled: dict[str, Load] = {}
    for _ in range(rounds):
        for target in targets:
            for clients in target.clients:
                load = drive(target.port, target.path, target.body, concurrency=clients, seconds=seconds)
                pooled.setdefault(key(target.name, clients), Load()).add(load)
    return pooled
