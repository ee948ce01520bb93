"""The Evidently project a monitoring run is published to comes with its dashboard panels, added once:
written through the real local workspace and read back from disk by a fresh one (as `evidently ui` does)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from closedloop.monitoring.paths import workspace_dir
from closedloop.monitoring.publish import DRIFTED_COLUMNS, VALUE_DRIFT, add_to_workspace, drift_panels
from closedloop.monitoring.report import drift_report
from closedloop.settings import Settings


def a_run(seed: int) -> object:
    rng = np.random.default_rng(seed)

    def frame(shift: float) -> pd.DataFrame:
        links = rng.poisson(1 + shift / 10, 200).astype(float)
        return pd.DataFrame({"length": rng.normal(100 + shift, 10, 200), "links": links})

    return drift_report(
        frame(0), frame(seed), drift_share=0.5, name=f"run {seed}", timestamp=datetime.now(UTC),
        metadata={}, tags=[],
    )  # fmt: skip


def test_the_project_dashboard_gets_its_drift_panels_once(settings: Settings) -> None:
    from evidently.ui.workspace import Workspace

    for seed in (0, 5, 9):  # three runs: the panels are added by the first and never again
        add_to_workspace(settings, model="spam", run=a_run(seed))  # type: ignore[arg-type]

    workspace = Workspace(str(workspace_dir(settings)))  # read back from disk
    (project,) = workspace.search_project("spam-filter")
    assert len(workspace.list_runs(project.id)) == 3
    dashboard = project.dashboard.model()
    titles = [panel.title for panel in dashboard.panels]
    assert titles == [panel.title for panel in drift_panels()] and len(titles) == 4
    # Every panel is placed on a tab, so the UI shows it.
    assert {p.id for p in dashboard.panels} == {pid for tab in dashboard.tabs for pid in tab.panels}
    metrics = {value.metric for panel in dashboard.panels for value in panel.values}
    assert metrics == {DRIFTED_COLUMNS, VALUE_DRIFT}
    kinds = sorted(panel.plot_params["plot_type"] for panel in dashboard.panels)
    assert kinds == ["counter", "counter", "line", "line"]


def test_a_panel_added_by_hand_stays_and_nothing_is_doubled(settings: Settings) -> None:
    from evidently.sdk.panels import text_panel
    from evidently.ui.workspace import Workspace

    add_to_workspace(settings, model="spam", run=a_run(0))  # type: ignore[arg-type]
    workspace = Workspace(str(workspace_dir(settings)))
    (project,) = workspace.search_project("spam-filter")
    project.dashboard.add_panel(text_panel(title="notes by an operator"))
    add_to_workspace(settings, model="spam", run=a_run(3))  # type: ignore[arg-type]

    (project,) = Workspace(str(workspace_dir(settings))).search_project("spam-filter")
    titles = [panel.title for panel in project.dashboard.model().panels]
    assert titles == [*(p.title for p in drift_panels()), "notes by an operator"]
