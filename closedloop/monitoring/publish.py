"""Where a monitoring run goes: the Evidently workspace (one project per model, browsed with `evidently ui`)
and HTML + JSON files under HOME/reports/monitoring/<model>/, `latest.*` being the newest.

`latest.json` is read by the dashboard; its schema (extra fields allowed):
`{"model", "created_at", "reference": {"n", "description"}, "current": {"n", "since"},
"drift": {"share", "detected", "threshold", "columns": {name: {"score", "drifted", "method"}}},
"quality": {metric: float, "n_labeled": int}, "html"}`, paths relative to HOME/reports.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from evidently import Run
from evidently.ui.workspace import Workspace

from closedloop import registry
from closedloop.monitoring.paths import reports_dir, workspace_dir
from closedloop.settings import Settings

log = logging.getLogger(__name__)


def add_to_workspace(settings: Settings, *, model: str, run: Run) -> str:
    """Add `run` to the model's project (created on first use); returns the run's id."""
    workspace = Workspace(str(workspace_dir(settings)))
    name = registry.registered_name(model)
    found = workspace.search_project(name)
    project = found[0] if found else workspace.create_project(name, description=f"Monitoring of {name}")
    return str(workspace.add_run(project.id, run).id)


def write_reports(settings: Settings, *, model: str, run: Run, summary: dict[str, Any], at: datetime) -> Path:
    """Write `<stamp>.html/.json` and `latest.html/.json` (atomically replaced); returns latest.json's path.

    `summary` is completed with the `html` path; the full Evidently payload goes under `evidently`.
    """
    folder = reports_dir(settings) / "monitoring" / model
    folder.mkdir(parents=True, exist_ok=True)
    stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
    html = folder / f"{stamp}.html"
    run.save_html(str(html))
    payload = {
        **summary,
        "html": f"monitoring/{model}/latest.html",
        "report_html": html.relative_to(reports_dir(settings)).as_posix(),
        "evidently": run.dict(),
    }
    text = json.dumps(payload, indent=2, default=str)
    (folder / f"{stamp}.json").write_text(text)
    _replace(folder / "latest.html", html.read_text())
    _replace(folder / "latest.json", text)
    log.info("monitoring report for %s: %s", model, folder / "latest.json")
    return folder / "latest.json"


def _replace(path: Path, text: str) -> None:
    """Write next to `path`, then rename: the dashboard never reads a half-written file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
