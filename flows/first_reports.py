"""The first reports of a fresh platform: a learning curve and a monitoring pass for every registered kind
that has them, so the dashboard's curve, drift and Evidently panels fill within minutes of `closedloop demo`
instead of after the first hourly monitor (and a curve nobody would compute otherwise).

Curves first (they need no traffic, and the replay's traffic builds up meanwhile), then each monitored kind
once at least `min_predictions` of its predictions are logged. A kind that fails or never gets traffic is
reported and skipped; it never stops the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from closedloop.kinds import ModelKind, kinds
from closedloop.monitoring import MonitoringError
from closedloop.monitoring.window import current_window
from closedloop.settings import Settings
from closedloop.store import open_store
from flows.learning_curve import curve_dir, run_learning_curve
from flows.monitor import monitor

log = logging.getLogger(__name__)

# A small curve: four sizes, one seed each, on threads. Enough to draw the panel in a minute or two; a
# thorough one is `closedloop learning-curve KIND` (seven sizes, three seeds, processes).
DEMO_CURVE: dict[str, Any] = {"n_sizes": 4, "min_seeds": 1}


@dataclass
class FirstReports:
    """What was written per kind ("written", "kept: ...") and what was not, with the reason."""

    curves: dict[str, str] = field(default_factory=dict)
    monitors: dict[str, str] = field(default_factory=dict)


def first_reports(
    settings: Settings,
    *,
    wait_s: float = 900.0,
    poll_s: float = 10.0,
    min_predictions: int = 100,
    curve: dict[str, Any] | None = None,
) -> FirstReports:
    """A learning curve for every kind with one and none written yet (`curve`: the flow's parameters,
    default `DEMO_CURVE`), then a monitoring pass for every monitored kind as soon as `min_predictions` of
    its predictions are in the window, waiting at most `wait_s` for them."""
    found = kinds(tuple(settings.kinds))
    done = FirstReports()
    for kind in found:
        if kind.curve() is not None:
            done.curves[kind.name] = _curve(settings, kind, curve or DEMO_CURVE)
    waiting = [k for k in found if k.monitored]
    deadline = time.monotonic() + wait_s
    while waiting:
        for kind in list(waiting):
            if _logged(settings, kind) >= min_predictions:
                outcome = _monitor(kind)
                if outcome is not None:
                    done.monitors[kind.name] = outcome
                    waiting.remove(kind)
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(poll_s)
    for kind in waiting:
        done.monitors[kind.name] = (
            f"skipped: fewer than {min_predictions} predictions from its champion within {wait_s:.0f} s; "
            "the hourly monitor takes over"
        )
    for name, outcome in {**done.curves, **done.monitors}.items():
        log.info("first reports, %s: %s", name, outcome)
    return done


def _curve(settings: Settings, kind: ModelKind, params: dict[str, Any]) -> str:
    """Run `kind`'s learning curve unless one is already written (a second demo keeps the first's)."""
    if (curve_dir(settings) / f"{kind.name}.json").is_file():
        return "kept: a learning curve is already written"
    try:
        run_learning_curve(model=kind.name, **params)
    except Exception as exc:  # one kind's failure (data missing, training error) must not stop the others
        log.warning("%s: the first learning curve failed: %s", kind.name, exc, exc_info=True)
        return f"failed: {exc}"
    return "written"


def _logged(settings: Settings, kind: ModelKind) -> int:
    """How many of `kind`'s predictions the monitor's window holds now (0 when none)."""
    store = open_store(settings.store_url)
    try:
        window = current_window(settings, store, model=kind.name, version=None, now=datetime.now(UTC))
    except MonitoringError:
        return 0
    finally:
        store.close()
    return len(window.predictions)


def _monitor(kind: ModelKind) -> str | None:
    """One monitoring pass; None when there is nothing to compare yet (no champion traffic: try again)."""
    try:
        result = monitor(model=kind.name)
    except Exception as exc:  # as above: reported, and the other kinds still get their report
        log.warning("%s: the first monitoring pass failed: %s", kind.name, exc, exc_info=True)
        return f"failed: {exc}"
    return None if result.skipped is not None else "written"
