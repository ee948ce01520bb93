"""The demo's first reports for real: a champion in a temp MLflow, traffic logged as the API logs it, the
curve and monitor flows under a temporary Prefect API, then the dashboard's own API read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from closedloop.settings import Settings, get_settings
from flows.first_reports import first_reports
from services.api import create_app
from tests.flows.test_monitor import N_CURRENT, register_champion, serve
from tests.toy_kind import TOY

SMALL_CURVE = {"n_sizes": 4, "min_seeds": 1}


pytestmark = pytest.mark.slow


@pytest.fixture
def demo_home(spam_home: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The spam kind (the synthetic corpus is the only one fetched), monitored on a small window, beside the
    toy kind, which has neither a learning curve nor monitoring."""
    monkeypatch.setenv("CLOSEDLOOP_KINDS", json.dumps([TOY]))
    monkeypatch.setenv("CLOSEDLOOP_ENABLED_KINDS", '["spam", "toy"]')
    monkeypatch.setenv("CLOSEDLOOP_MONITOR_WINDOW_SIZE", str(N_CURRENT))
    monkeypatch.setenv("CLOSEDLOOP_RELOAD_SECONDS", "3600")
    get_settings.cache_clear()
    return get_settings()


def dashboard_model(settings: Settings) -> dict[str, Any]:
    with TestClient(create_app(settings), raise_server_exceptions=True) as client:
        models = client.get("/dashboard/api/summary").json()["models"]
    return dict(next(m for m in models if m["key"] == "spam"))


def test_first_reports_fill_the_curve_and_drift_panels_once_traffic_comes(demo_home: Settings) -> None:
    settings = demo_home
    wrapper, version = register_champion(settings)
    before = dashboard_model(settings)
    assert before["drift"] is None and before["learning_curve"] is None  # what the demo showed for an hour

    # Before any traffic: the curve is written, the monitor waits (here not at all) and leaves it to the hour;
    # the toy kind, which supports neither, is left out.
    quiet = first_reports(settings, wait_s=0, poll_s=0.1, min_predictions=N_CURRENT, curve=SMALL_CURVE)
    assert quiet.curves == {"spam": "written"}
    assert quiet.monitors["spam"].startswith("skipped: fewer than 120 predictions")

    serve(settings, wrapper, version, seed=21, shifted=False, at=datetime.now(UTC) - timedelta(minutes=5))
    done = first_reports(settings, wait_s=30, poll_s=0.1, min_predictions=N_CURRENT, curve=SMALL_CURVE)
    assert done.curves == {"spam": "kept: a learning curve is already written"}  # a resumed demo keeps it
    assert done.monitors == {"spam": "written"}

    after = dashboard_model(settings)
    drift, curve = after["drift"], after["learning_curve"]
    assert drift["current"]["n"] == N_CURRENT and drift["n_columns"] > 0
    assert drift["url"] == "/dashboard/reports/monitoring/spam/latest.html"
    assert [len(p) for p in (curve["points"],)] == [4] and curve["metric"] == "f1"
    assert len(curve["chart"]["x"]) > 4 and curve["png_url"] == "/dashboard/reports/learning-curve/spam.png"

    from evidently.ui.workspace import Workspace

    workspace = Workspace(str(settings.home / "evidently"))
    (project,) = workspace.search_project("spam-filter")
    assert len(workspace.list_runs(project.id)) == 1
