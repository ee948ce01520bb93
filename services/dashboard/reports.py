"""The report files other flows write under HOME/reports, read for the dashboard and served safely.

`monitoring/<model>/latest.json` (Evidently drift summary, with its HTML report) comes from the monitor flow;
`learning-curve/<model>.json` (points, fits, extrapolation) from the learning-curve flow.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from closedloop.settings import Settings
from services.dashboard.curves import learning_curve_chart

log = logging.getLogger(__name__)
SERVED_SUFFIXES = {".html", ".png", ".json", ".svg"}
TOP_COLUMNS = 8


def reports_root(settings: Settings) -> Path:
    return settings.reports_dir


def report_file(settings: Settings, relative: str) -> Path | None:
    """`relative` resolved inside HOME/reports, or None if it escapes it, is missing, or is not a report."""
    root = reports_root(settings)
    try:
        path = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root) or path.suffix not in SERVED_SUFFIXES or not path.is_file():
        return None
    return path


def report_url(settings: Settings, relative: object) -> str | None:
    """The dashboard URL of a report file named in a summary JSON, if that file exists and may be served."""
    if not isinstance(relative, str) or report_file(settings, relative) is None:
        return None
    return f"/dashboard/reports/{relative}"


def drift(settings: Settings, *, model: str) -> dict[str, Any] | None:
    """The latest drift summary of `model`; None before the monitor ran, `{"error"}` if unreadable."""
    data = _read(reports_root(settings) / "monitoring" / model / "latest.json")
    if data is None or "error" in data:
        return data
    try:
        found = data["drift"]
        columns = [{"name": str(name), **info} for name, info in (found.get("columns") or {}).items()]
        columns.sort(key=lambda c: (not c.get("drifted"), -(c.get("score") or 0.0)))
        return {
            "created_at": data.get("created_at"),
            "reference": data.get("reference") or {},
            "current": data.get("current") or {},
            "share": found.get("share"),
            "detected": bool(found.get("detected")),
            "threshold": found.get("threshold"),
            "n_columns": len(columns),
            "n_drifted": sum(bool(c.get("drifted")) for c in columns),
            "columns": columns[:TOP_COLUMNS],
            "quality": data.get("quality") or {},
            "url": report_url(settings, data.get("html")),
        }
    except (AttributeError, KeyError, TypeError) as exc:
        return {"error": f"latest.json does not follow the monitoring schema ({exc!r})"}


def learning_curve(settings: Settings, *, model: str) -> dict[str, Any] | None:
    """The learning curve of `model` with its chart series, or None when the flow has not run."""
    data = _read(reports_root(settings) / "learning-curve" / f"{model}.json")
    if data is None or "error" in data:
        return data
    try:
        return {
            "metric": data.get("metric"),
            "created_at": data.get("created_at"),
            "points": [
                {"size": s, "mean": m, "std": d, "seeds": len(row)}
                for s, m, d, row in zip(data["sizes"], data["mean"], data["std"], data["scores"], strict=True)
            ],
            "n_models": sum(len(row) for row in data["scores"]),
            "power_fit": data.get("power_fit") or {},
            "log_fit": data.get("log_fit") or {},
            "predicted": data.get("predicted") or {},
            "labels_for_next_point": _count(data.get("labels_for_next_point")),
            "asymptote": data.get("asymptote"),
            "extrapolation": data.get("extrapolation") or {},
            "chart": learning_curve_chart(data),
            "png_url": report_url(settings, data.get("png")),
            "html_url": report_url(settings, data.get("html")),
            "mlflow_run_id": data.get("mlflow_run_id"),
        }
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": f"{model}.json does not follow the learning-curve schema ({exc!r})"}


def _count(value: object) -> int | None:
    """A label count as the flow writes it (an int, or null for "never"); anything else reads as null."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return {"error": f"{path.name} cannot be read ({exc})"}
    return data if isinstance(data, dict) else {"error": f"{path.name} is not a JSON object"}
