"""What `closedloop demo` tells a person while it starts: what runs where, the URLs to open (the dashboard and
the labeling UI first), where the keys and the logs are. Libraries' own start-up chatter (MLflow creating its
tables, alembic's migrations) goes to a log file instead of the terminal."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from closedloop.platform.processes import Ports
    from closedloop.settings import Settings

# Loggers whose INFO lines are for a log file, not for the person watching the demo start.
CHATTY = ("mlflow", "alembic")


def quiet_libraries(log_file: Path) -> None:
    """Send MLflow's and alembic's log lines to `log_file` only: their handlers on a terminal stream are
    removed and nothing propagates to the root logger (which writes to stderr)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in CHATTY:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                logger.removeHandler(handler)
        logger.addHandler(to_file)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.disabled = False


def corpus_line(name: str, summary: Mapping[str, Any]) -> str:
    """`spam: cached — 6,046 messages, 1,896 spam, ...` rather than a dict."""
    counts = summary.get("counts") or {}
    told = ", ".join(
        f"{n:,} {what.replace('_', ' ')}" if isinstance(n, int) else f"{what.replace('_', ' ')} {n}"
        for what, n in counts.items()
    )
    state = "cached" if summary.get("cached") else "fetched"
    return f"{name}: {state}" + (f" — {told}" if told else "")


def keys_line(settings: Settings) -> str:
    """Where the API's keys come from, and what it means when there are none."""
    client, admin = len(settings.api_keys or []), len(settings.admin_api_keys or [])
    if client or admin:
        return (
            f"{client} client and {admin} admin key(s) from CLOSEDLOOP_API_KEYS / CLOSEDLOOP_ADMIN_API_KEYS"
        )
    return "none configured (CLOSEDLOOP_API_KEYS / CLOSEDLOOP_ADMIN_API_KEYS)"


def live_summary(settings: Settings, ports: Ports, *, elapsed: float, logs: Path) -> str:
    """The block printed once everything is up: one line per thing to open or to know."""
    api = ports.api_url
    rows = [
        ("dashboard", f"{api}/dashboard"),
        ("labeling", f"{api}/label  (accounts: `closedloop users add NAME`)"),
        ("API docs", f"{api}/docs"),
        ("MLflow", f"http://127.0.0.1:{ports.mlflow}  (runs, registry, aliases)"),
        ("Prefect", f"http://127.0.0.1:{ports.prefect}  (flow runs, schedules, triggers)"),
        ("Evidently", f"http://127.0.0.1:{ports.evidently}  (drift and quality reports)"),
        ("keys", keys_line(settings)),
        ("logs", f"{logs}/<process>.log; MLflow and alembic start-up lines in {logs}/demo.log"),
        ("home", f"{settings.home.resolve()}  (replay positions in replay/: a second run resumes)"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"closedloop is live after {elapsed:.0f} s:"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    lines.append("Ctrl-C stops everything; `make demo` again resumes where this run stopped.")
    return "\n".join(lines)
