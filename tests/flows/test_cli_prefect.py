"""`closedloop retrain` as a user runs it, in a subprocess, with the Prefect API it finds: SIGKILLed mid-way
it leaves no Prefect server behind and no ungated version as a candidate; beside a running demo it runs its
flow on the demo's Prefect server instead of a throwaway one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from closedloop import corpora, registry
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.orchestration import record_server, recorded_server
from closedloop.orchestration.endpoint import start_temporary_server
from closedloop.registry import tracking
from closedloop.registry.decisions import gate_records
from closedloop.settings import Settings
from tests.factories import synthetic_spam_corpus
from tests.flows.test_retrain import add_labels

# Three CLI retrains, each starting its own Prefect server: minutes on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture
def cli_home(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path / "home")
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=300, n_spam=150)
    )
    return settings


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLOSEDLOOP_"))}
    return {
        **env,
        "CLOSEDLOOP_HOME": str(settings.home),
        "CLOSEDLOOP_CANDIDATES": '{"spam": ["baseline"]}',
        "CLOSEDLOOP_GATE_N_BOOTSTRAP": "500",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",  # a busy 2-core machine
        **extra,
    }


def retrain(settings: Settings, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "retrain", "spam", "--json"],
        capture_output=True,
        text=True,
        env=cli_env(settings, **extra),
        timeout=900,
    )


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their children, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def registered_versions(settings: Settings) -> int:
    database = settings.mlflow_dir / "mlflow.db"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            found = db.execute("SELECT count(*) FROM model_versions WHERE name = 'spam-filter'").fetchone()
    except sqlite3.Error:  # tables not made yet, or locked for a moment
        return 0
    return int(found[0])


def test_a_sigkilled_retrain_leaves_no_server_and_no_ungated_candidate(cli_home: Settings):
    first = retrain(cli_home)
    assert first.returncode == 0, first.stderr
    add_labels(cli_home, 120, seed=3)  # enough for a window, so the second gate has real work to do

    # A slow gate (many bootstrap resamples) leaves time to kill the retrain between registration and verdict.
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "retrain", "spam"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(cli_home, CLOSEDLOOP_GATE_N_BOOTSTRAP="20000"),
    )
    below: set[int] = set()
    deadline = time.monotonic() + 900
    while registered_versions(cli_home) < 2:
        assert process.poll() is None, "the retrain ended before its version was registered"
        assert time.monotonic() < deadline, "no version registered within 900 s"
        below |= descendants(process.pid)
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert below, "the retrain ran its flow on a Prefect server it started"

    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in below if alive(pid)], "processes the killed retrain started outlived it"

    client = tracking.configure(cli_home)
    killed = client.get_model_version("spam-filter", "2")
    assert killed.tags.get("gate.decision") == "pending", "killed before the gate: registered as pending"
    challenger = registry.aliased_version(client, name="spam-filter", alias=registry.CHALLENGER)
    assert challenger is None or str(challenger.version) != "2", "an ungated version is never challenger"

    # The next retrain marks the leftover abandoned, and gates its own version as usual.
    again = retrain(cli_home)
    assert again.returncode == 0, again.stderr
    verdicts = {r.version: r.verdict for r in gate_records(client, name="spam-filter")}
    assert verdicts["2"] == "abandoned" and verdicts["3"] in {"promote", "refuse"}
    assert "stopped before the gate" in client.get_model_version("spam-filter", "2").tags["gate.reason"]


@pytest.fixture
def demo_prefect(tmp_path: Path, cli_home: Settings) -> Iterator[str]:
    """A Prefect server standing in for the demo's (its own database), recorded in the home as the demo
    does."""
    server = start_temporary_server(Settings(home=tmp_path / "demo"), timeout=600)
    assert server.process is not None
    record_server(cli_home, api_url=server.api_url, pid=server.process.pid)
    try:
        yield server.api_url
    finally:
        server.stop()


def test_beside_the_demo_the_cli_runs_its_flow_on_the_demos_server(cli_home: Settings, demo_prefect: str):
    assert recorded_server(cli_home) == demo_prefect
    done = retrain(cli_home)
    assert done.returncode == 0, done.stderr
    runs = httpx.post(f"{demo_prefect}/flow_runs/filter", json={}, timeout=10).json()
    assert [(r["name"] != "", r["state_type"]) for r in runs] == [(True, "COMPLETED")], runs
    assert not (cli_home.prefect_home / "temporary-server.log").exists(), "no throwaway server was started"


def test_a_dead_demos_record_is_ignored(cli_home: Settings):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    record_server(cli_home, api_url="http://127.0.0.1:9/api", pid=gone.pid)
    assert recorded_server(cli_home) is None
