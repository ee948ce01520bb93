"""Where a monitoring run goes: the Evidently workspace (one project per model, browsed with `evidently ui`,
whose dashboard plots the drift of every run) and HTML + JSON files under HOME/reports/monitoring/<model>/,
`latest.*` being the newest.

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
from evidently.sdk.models import DashboardPanelPlot, PanelMetric
from evidently.sdk.panels import counter_panel, line_plot_panel
from evidently.ui.workspace import Project, Workspace

from closedloop import registry
from closedloop.monitoring.paths import reports_dir, workspace_dir
from closedloop.settings import Settings

log = logging.getLogger(__name__)

# The drift preset's metrics, as Evidently names them in a run (`drift_report`).
DRIFTED_COLUMNS = "evidently:metric_v2:DriftedColumnsCount"
VALUE_DRIFT = "evidently:metric_v2:ValueDrift"


def add_to_workspace(settings: Settings, *, model: str, run: Run) -> str:
    """Add `run` to the model's project (created on first use, with its dashboard panels); returns the
    run's id."""
    workspace = Workspace(str(workspace_dir(settings)))
    name = registry.registered_name(model)
    found = workspace.search_project(name)
    project = found[0] if found else workspace.create_project(name, description=f"Monitoring of {name}")
    add_panels(project)
    return str(workspace.add_run(project.id, run).id)


def drift_panels() -> list[DashboardPanelPlot]:
    """The project dashboard's panels, drawn from every run's drift metrics (the same for every kind: the
    columns are whatever the kind describes, one line each)."""
    share = PanelMetric(legend="share", metric=DRIFTED_COLUMNS, metric_labels={"value_type": "share"})
    count = PanelMetric(legend="columns", metric=DRIFTED_COLUMNS, metric_labels={"value_type": "count"})
    return [
        counter_panel(title="Share of drifted columns", values=[share], size="half", aggregation="last"),
        counter_panel(title="Drifted columns", values=[count], size="half", aggregation="last"),
        line_plot_panel(title="Share of drifted columns per run", values=[share]),
        line_plot_panel(
            title="Drift score per column (p-value or distance, by the column's test)",
            values=[PanelMetric(legend="{{column}}", metric=VALUE_DRIFT)],
        ),
    ]


def add_panels(project: Project) -> list[str]:
    """Add the drift panels the project's dashboard lacks (matched by title, so a rerun adds nothing and a
    panel someone added in the UI stays); returns the titles added."""
    present = {panel.title for panel in project.dashboard.model().panels}
    added = [panel for panel in drift_panels() if panel.title not in present]
    for panel in added:
        project.dashboard.add_panel(panel)
    return [panel.title for panel in added]


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
