"""Versions awaiting the gate. A retrain registers its winner already tagged `gate.decision=pending` with the
process that owns it, in the same registry call, so no version is ever registered without a verdict tag. The
gate replaces `pending` with its verdict; a retrain that dies first (a SIGKILL, a crash) leaves `pending`
behind, and the next retrain of that model marks it `abandoned`: it never becomes the challenger, and no
reader takes it for a candidate still being judged.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from closedloop import clock
from closedloop.registry.aliases import CHALLENGER, aliased_version, list_versions, move_alias
from closedloop.store import Store

log = logging.getLogger(__name__)

DECISION = "gate.decision"
OWNER = "gate.owner"
PENDING = "pending"
ABANDONED = "abandoned"


def process_owner(pid: int | None = None) -> str:
    """`host:pid:start`: the process, told apart from a later one that reuses its pid by its start time."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def owner_alive(owner: str) -> bool:
    """Whether the process named by `owner` still runs. One on another host cannot be asked: it counts as
    alive (its own next retrain, on that host, settles it)."""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return host != socket.gethostname()
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user: its start time still tells whether it is ours
        return _started(pid) == started
    return _started(pid) == started


def register_pending(*, model_uri: str, name: str) -> str:
    """Register `model_uri` as a new version of `name` tagged pending, owned by this process; its number."""
    version = mlflow.register_model(model_uri, name, tags={DECISION: PENDING, OWNER: process_owner()})
    return str(version.version)


def abandon(client: MlflowClient, store: Store, *, name: str, version: str, why: str) -> None:
    """Mark `version` abandoned (and take the challenger alias off it, should it hold it)."""
    client.set_model_version_tag(name, version, DECISION, ABANDONED)
    client.set_model_version_tag(name, version, "gate.reason", why[:5000])
    client.set_model_version_tag(name, version, "gate.decided_at", clock.now().isoformat(timespec="seconds"))
    challenger = aliased_version(client, name=name, alias=CHALLENGER)
    if challenger is not None and str(challenger.version) == version:
        move_alias(client, store, name=name, alias=CHALLENGER, version=None, actor="closedloop", reason=why)
    log.warning("%s v%s abandoned: %s", name, version, why)


def abandon_orphans(client: MlflowClient, store: Store, *, name: str) -> list[str]:
    """Mark abandoned every pending version of `name` whose owning process has died; the versions marked."""
    marked = []
    for version in list_versions(client, name=name):
        owner = version.tags.get(OWNER)
        if version.tags.get(DECISION) != PENDING or owner is None or owner_alive(owner):
            continue
        abandon(
            client,
            store,
            name=name,
            version=version.version,
            why=f"the retrain that registered it ({owner}) stopped before the gate decided",
        )
        marked.append(version.version)
    return marked


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat); "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]
