"""The peer servers as child processes, each on the scorer the benchmark exported (`scorer.export`), one
worker each, started, waited for and stopped like our API (`bench.servers.server`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.loadgen import Body
from bench.peers.interleaved import Target
from bench.peers.scorer import Scorer, load
from bench.peers.venvs import peer_python
from bench.servers import server
from closedloop.platform.processes import free_port
from closedloop.settings import child_environment

ROOT = Path(__file__).resolve().parents[2]  # the repo: `models/` and `bench/peers/` for the peers
PEERS = ("bare", "bentoml", "litserve")
ROUTE = "/predict"  # every peer's route: POST {"text": ...} -> {"score": p}


def _environment(python: Path, scorer: Path) -> dict[str, str]:
    env = child_environment(extra={"PYTHONPATH": str(ROOT), "PEER_SCORER": str(scorer)})
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{python.parent}:{env.get('PATH', '')}"  # the peer's own scripts first
    env["BENTOML_DO_NOT_TRACK"] = "true"  # no usage reports from a benchmark (and no network here)
    env["LITSERVE_DISABLE_TELEMETRY"] = "1"
    return env


def _command(peer: str, python: Path, scorer: Path, port: int) -> tuple[list[str], str]:
    """(command line, readiness URL) of `peer` on `port`."""
    base = f"http://127.0.0.1:{port}"
    if peer == "bare":
        return [str(python), "-m", "bench.peers.bare", str(scorer), str(port)], f"{base}/ready"
    if peer == "bentoml":
        serve = ["-m", "bentoml", "serve", "bench.peers.bento:Champion", "--working-dir", str(ROOT)]
        return [str(python), *serve, "--host", "127.0.0.1", "--port", str(port)], f"{base}/readyz"
    if peer == "litserve":
        return [str(python), "-m", "bench.peers.lit", str(scorer), str(port)], f"{base}/health"
    raise ValueError(f"unknown peer {peer!r}; known: {', '.join(PEERS)}")


@contextmanager
def peer_server(peer: str, scorer: Path, port: int) -> Iterator[None]:
    """`peer` serving the scorer at `scorer` on `port` until the block ends (the bare app runs in this
    interpreter's environment, next to our API; BentoML and LitServe in their own virtualenvs)."""
    python = Path(sys.executable) if peer == "bare" else peer_python(peer)
    command, ready = _command(peer, python, scorer, port)
    with server(command, _environment(python, scorer), ready):
        yield


def check_answers(port: int, scorer: Scorer, texts: list[str]) -> None:
    """Raise unless the peer on `port` answers each text with the score `scorer` gives it here: a peer
    serving another model, or mangling the text, would make its figures meaningless."""
    for text in texts:
        answer = httpx.post(f"http://127.0.0.1:{port}{ROUTE}", json={"text": text}, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"the peer on port {port} answered {answer.status_code}: {answer.text[:500]}")
        served, expected = float(answer.json()["score"]), scorer.score(text)
        if abs(served - expected) > 1e-9:
            raise RuntimeError(f"the peer on port {port} scored {served}, the champion {expected}")


def peer_body(texts: list[str]) -> Body:
    """Request number -> a peer's body, `{"text": ...}`, the texts in turn."""
    encoded = [json.dumps({"text": text}).encode() for text in texts]
    return lambda number: encoded[number % len(encoded)]


def start_peers(running: ExitStack, scorer: Path, texts: list[str]) -> list[Target]:
    """Start each peer on the exported scorer (until `running` closes) and check its answers on a few of
    `texts`; a peer that cannot be installed or started is reported and left out (its rows, not the suite)."""
    targets = []
    for peer in PEERS:
        port = free_port()
        try:
            running.enter_context(peer_server(peer, scorer, port))
            check_answers(port, load(scorer), texts[:5])
        except (RuntimeError, subprocess.CalledProcessError, httpx.HTTPError) as error:
            print(f"bench: {peer} left out ({str(error)[-2000:]})", flush=True)
            continue
        targets.append(Target(peer, port, ROUTE, peer_body(texts)))
    return targets
