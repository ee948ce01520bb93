"""The one load client of the serving benchmark: HTTP/1.1 keep-alive over raw asyncio sockets.

httpx costs ~0.3 ms of client CPU per request, which on a 2-core machine is load taken from the server under
test; raw sockets keep the client cheap, and the same client drives both servers, so ratios are fair.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Body = Callable[[int], bytes]  # request number -> JSON body


@dataclass
class Load:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def add(self, other: Load) -> Load:
        """This load and `other` as one (a server measured in several rounds): requests, statuses and
        seconds add up, so `per_s` is the rate over all rounds."""
        self.latencies_s += other.latencies_s
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.seconds += other.seconds
        return self

    def summary(self) -> dict[str, float]:
        latency_ms = np.asarray(self.latencies_s) * 1000
        return {
            "requests": float(len(self.latencies_s)),
            "ok": float(self.ok),
            "errors": float(len(self.latencies_s) - self.ok),
            "per_s": self.ok / self.seconds if self.seconds else 0.0,
            "p50_ms": float(np.percentile(latency_ms, 50)),
            "p99_ms": float(np.percentile(latency_ms, 99)),
        }


def request_bytes(host: str, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    host: str, port: int, path: str, body: Body, counter: list[int], total: int, deadline: float, load: Load
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while counter[0] < total and time.perf_counter() < deadline:
            number = counter[0]
            counter[0] += 1
            payload = request_bytes(host, path, body(number))
            start = time.perf_counter()
            try:
                status = await _exchange(reader, writer, payload)
            except (asyncio.IncompleteReadError, ConnectionError):
                status = 0  # the server dropped the connection: an error, then a fresh connection
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            load.latencies_s.append(time.perf_counter() - start)
            load.statuses[status] = load.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> int:
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    await reader.readexactly(int(headers["content-length"]))
    return int(lines[0].split(" ")[1])


async def _run(
    host: str, port: int, path: str, body: Body, concurrency: int, total: int, seconds: float
) -> Load:
    load, counter = Load(), [0]
    start = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(host, port, path, body, counter, total, start + seconds, load)
            for _ in range(concurrency)
        )
    )
    load.seconds = time.perf_counter() - start
    return load


def drive(
    port: int,
    path: str,
    body: Body,
    *,
    concurrency: int = 1,
    total: int = 10**9,
    seconds: float = 10.0,
    host: str = "127.0.0.1",
) -> Load:
    """POST to `path` over `concurrency` keep-alive connections until `total` requests or `seconds` pass."""
    return asyncio.run(_run(host, port, path, body, concurrency, total, seconds))
