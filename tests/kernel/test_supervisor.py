"""The supervisor with real child processes (small shell and Python commands, no servers): start order by
readiness, tasks, clean stop of whole process groups, Ctrl-C; and the service list `closedloop demo` runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cli.demo import demo_services
from closedloop.platform.processes import Ports
from closedloop.platform.supervisor import Service, ServiceFailed, Supervisor, group_alive
from closedloop.settings import Settings


def _pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _sh(script: str) -> list[str]:
    return ["/bin/sh", "-c", script]


def test_services_start_after_what_they_need_and_stop_with_their_children(tmp_path: Path):
    marker, grandchild = tmp_path / "a-ready", tmp_path / "grandchild.pid"
    supervisor = Supervisor(logs=tmp_path / "logs")
    order: list[str] = []
    services = [
        # b needs a; a becomes ready only after its marker file appears (a second after it starts)
        Service("b", _sh("sleep 300"), needs=("a",)),
        Service("a", _sh(f"sleep 1; sleep 300 & echo $! > {grandchild}; touch {marker}; wait"),
                ready=marker.exists),
        Service("task", _sh("exit 0"), finishes=True, needs=("a",)),
    ]  # fmt: skip
    try:
        supervisor.start_all(services, timeout=30, on_ready=lambda s: order.append(s.name))
        assert order[0] == "a" and set(order) == {"a", "b", "task"}
        assert supervisor.running["b"].poll() is None
        child = int(grandchild.read_text())
        assert _pid_alive(child)
    finally:
        supervisor.stop_all(timeout=5)
    assert not _pid_alive(child), "the grandchild went down with its service's process group"
    assert not any(group_alive(p.pid) for p in supervisor.running.values())


def test_a_service_that_ignores_sigterm_is_killed(tmp_path: Path):
    supervisor, trapped = Supervisor(logs=tmp_path / "logs"), tmp_path / "trapped"
    # ready once the trap is set: a SIGTERM before that would end the shell the ordinary way
    stubborn = _sh(f"trap '' TERM; touch {trapped}; while true; do sleep 0.1; done")
    supervisor.start_all([Service("stubborn", stubborn, ready=trapped.exists)], timeout=10)
    began = time.monotonic()
    supervisor.stop_all(timeout=1)
    assert time.monotonic() - began < 10
    assert supervisor.running["stubborn"].returncode == -signal.SIGKILL
    assert not group_alive(supervisor.running["stubborn"].pid)


def test_a_failing_task_fails_the_start_with_its_log(tmp_path: Path):
    supervisor = Supervisor(logs=tmp_path / "logs")
    services = [
        Service("server", _sh("sleep 300")),
        Service("first-champion", _sh("echo 'corpus missing' >&2; exit 3"), finishes=True),
        Service("api", _sh("sleep 300"), needs=("first-champion",)),
    ]
    with pytest.raises(ServiceFailed, match=r"(?s)first-champion exited with 3.*corpus missing"):
        supervisor.start_all(services, timeout=30)
    assert "api" not in supervisor.running, "nothing that needs the failed task was started"
    supervisor.stop_all(timeout=5)
    assert not group_alive(supervisor.running["server"].pid)


def test_unknown_dependency_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ValueError, match="needs unknown services"):
        Supervisor(logs=tmp_path).start_all([Service("api", _sh("true"), needs=("nope",))])


def test_ctrl_c_stops_every_process(tmp_path: Path):
    """The demo's path: a supervisor waits in the foreground; SIGINT (Ctrl-C) stops every child's group."""
    pids = tmp_path / "pids.json"
    script = textwrap.dedent(f"""
        import json, pathlib
        from closedloop.platform.supervisor import Service, Supervisor
        s = Supervisor(logs=pathlib.Path({str(tmp_path / "logs")!r}))
        s.start_all([Service(n, ["/bin/sh", "-c", "sleep 300 & sleep 300 & wait"]) for n in ("x", "y")])
        s.start_all([Service("done", ["/bin/sh", "-c", "exit 0"], oneshot=True)])
        pathlib.Path({str(pids)!r}).write_text(json.dumps([p.pid for p in s.running.values()]))
        print("exited:", s.wait(), flush=True)
        s.stop_all(timeout=5)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})  # fmt: skip
    deadline = time.monotonic() + 60
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # the oneshot has finished by now: waiting must go on regardless
    assert parent.poll() is None, "a finished oneshot service does not end the wait"
    parent.send_signal(signal.SIGINT)
    out, _ = parent.communicate(timeout=30)
    assert parent.returncode == 0 and "exited: None" in out
    assert not any(group_alive(pid) for pid in json.loads(pids.read_text()))


def test_the_demo_runs_the_whole_platform_and_the_replay(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    ports = Ports(api=18000, prefect=14200, mlflow=15000, evidently=18001)
    services = demo_services(
        settings, ports, environ={"PATH": "/usr/bin"}, bootstrap=["spam"], replay=True,
        replay_rate=5.0, feedback_rate=0.3,
    )  # fmt: skip
    by_name = {s.name: s for s in services}
    assert list(by_name) == [
        "prefect", "worker", "first-spam", "api", "mlflow", "evidently", "replay-spam", "replay-recsys",
        "first-reports",
    ]  # fmt: skip
    assert by_name["worker"].needs == ("prefect",) and by_name["first-spam"].finishes
    assert by_name["replay-spam"].needs == ("api",) and by_name["replay-spam"].oneshot
    assert "--port" in by_name["api"].command and "18000" in by_name["api"].command
    replay = by_name["replay-spam"].command
    assert replay[replay.index("simulate") + 1] == "spam"
    assert (
        replay[replay.index("--feedback-rate") + 1] == "0.3" and replay[replay.index("--rate") + 1] == "5.0"
    )
    assert "--annotators" in replay, "the stand-in for annotators answers the labeling queue"
    # Each kind's replay keeps its position in the home: a second `make demo` resumes it.
    cursor = settings.home.resolve() / "replay" / "spam.cursor.json"
    assert replay[replay.index("--cursor") + 1] == str(cursor)
    for service in services:
        assert service.env["CLOSEDLOOP_HOME"] == str(settings.home.resolve())
        assert service.env["CLOSEDLOOP_BASE_FRACTION"] == "0.5"  # the first champions see the earlier half
        assert service.env["CLOSEDLOOP_MLFLOW_UI_URL"] == "http://127.0.0.1:15000"
    # The first curves and drift reports run once the API serves, as flow runs of the demo's Prefect server.
    assert by_name["first-reports"].command[-1] == "first-reports" and by_name["first-reports"].oneshot
    assert by_name["first-reports"].needs == ("api",)
    for name in ("worker", "first-spam", "replay-spam", "first-reports"):
        assert by_name[name].env["PREFECT_API_URL"] == "http://127.0.0.1:14200/api"
    assert "http://127.0.0.1:18000" in by_name["replay-recsys"].command
    urls = " ".join(s.url or "" for s in services)
    for port in (18000, 14200, 15000, 18001):
        assert f"127.0.0.1:{port}" in urls
    without = demo_services(
        settings, ports, environ={"CLOSEDLOOP_BASE_FRACTION": "0.3"}, bootstrap=[], replay=False,
        replay_rate=5.0, feedback_rate=0.3,
    )  # fmt: skip
    assert [s.name for s in without] == ["prefect", "worker", "api", "mlflow", "evidently", "first-reports"]
    assert without[0].env["CLOSEDLOOP_BASE_FRACTION"] == "0.3", "the user's own setting wins"


STARTING_PLATFORM = """
import signal, sys
from pathlib import Path
from cli.demo import _interrupt
from closedloop.platform.supervisor import Service, Supervisor

tmp = Path(sys.argv[1])
supervisor = Supervisor(logs=tmp / "logs")
signal.signal(signal.SIGTERM, _interrupt)  # as `closedloop demo` does before it starts anything
services = [
    Service("up", ["/bin/sh", "-c", f"echo $$ > {tmp / 'up.pid'}; exec sleep 300"]),
    Service("slow", ["/bin/sh", "-c", "sleep 300"], ready=lambda: False, needs=("up",)),
]
try:
    supervisor.start_all(services, timeout=120)
except KeyboardInterrupt:
    print("interrupted", flush=True)
finally:
    supervisor.stop_all(timeout=5)
"""


def test_sigterm_while_the_platform_starts_stops_what_already_runs(tmp_path: Path):
    """`docker stop` or a service manager sends SIGTERM, maybe before every service is up: the children run in
    their own sessions, so unless the supervisor stops them they outlive it."""
    script = tmp_path / "starting.py"
    script.write_text(STARTING_PLATFORM)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    pid_file = tmp_path / "up.pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline and parent.poll() is None, "the first service never started"
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert _pid_alive(child)
    parent.send_signal(signal.SIGTERM)
    out, _ = parent.communicate(timeout=60)
    assert "interrupted" in out and parent.returncode == 0
    assert not _pid_alive(child), "a service outlived the supervisor that started it"
