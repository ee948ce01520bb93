"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the real app (uvicorn,
child process) over a populated store; every panel shows data, no console error, and it refreshes itself.

The screenshots land in `test-artifacts/dashboard.png` (the page) and `test-artifacts/dashboard-markers.png`
(the spam filter's quality and traffic charts with their champion markers) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from bench.dashboard import (
    CHROMIUM_ARGS,
    free_port,
    populate_store,
    record_gate_history,
    serve,
)
from bench.dashboard_home import record_gate_decisions, write_report_fixtures
from closedloop.settings import Settings
from closedloop.store import open_store

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DATA_PANELS = ["champion", "quality", "traffic", "drift", "gate", "learning-curve"]

pytestmark = pytest.mark.slow


@pytest.fixture
def dashboard_url(home: Path) -> Iterator[str]:
    store = open_store(Settings(home=home).store_url)
    try:
        populate_store(store, n=3000)
        record_gate_history(store)
    finally:
        store.close()
    record_gate_decisions(Settings(home=home))
    write_report_fixtures(home)
    with serve(home, free_port()) as base:
        for _ in range(5):  # no models are loaded: 503s, but timed, so the latency figures have data
            httpx.post(f"{base}/v1/spam/predict", json={"subject": "s", "body": "b"}, timeout=10)
            httpx.post(f"{base}/v1/recommendations", json={"user_id": 1, "k": 5}, timeout=10)
        yield f"{base}/dashboard"


def drawn_markers(page: Page, chart: str) -> list[str]:
    """The labels of the champion markers shown in `chart`, left to right, each checked to sit inside the
    plot area."""
    marks = page.locator(f"{chart} .u-over .champion-marker:not([hidden])")
    width = page.locator(f"{chart} .u-over").evaluate("el => el.clientWidth")
    lefts = [float(mark.evaluate("el => parseFloat(el.style.left)")) for mark in marks.all()]
    assert all(0 <= left <= width for left in lefts) and lefts == sorted(lefts), (chart, lefts, width)
    return [mark.inner_text() for mark in marks.all()]


def test_every_panel_shows_data_without_console_errors(chromium: Path, dashboard_url: str) -> None:
    from playwright.sync_api import ConsoleMessage, sync_playwright

    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on("console", on_console)
            page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
            page.goto(dashboard_url, wait_until="load")
            page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 6")
            for model in ("spam", "recsys"):
                section = page.locator(f"#model-{model}")
                for panel in DATA_PANELS:
                    card = section.locator(f'[data-panel="{panel}"]')
                    assert card.locator(".empty").count() == 0, f"{model} {panel}: {card.inner_text()}"
                assert "labeling is not set up yet" in section.locator('[data-panel="labeling"]').inner_text()
                assert section.locator('[data-panel="traffic"] dd').count() == 3  # p50, p95, p99
            assert "v2" in page.locator('#model-spam [data-panel="champion"]').inner_text()
            assert page.locator('[data-panel="drift"] a', has_text="Evidently report").count() == 2
            # The gate panel shows refusals beside promotions (verdicts read from MLflow).
            assert page.locator('#model-spam [data-panel="gate"] tr[data-verdict="refuse"]').count() == 1
            assert page.locator('#model-spam [data-panel="gate"] tr[data-verdict="promote"]').count() == 2
            # Each chart marks the champion moves in its window, labelled with the version, inside the plot.
            expected = {"spam": ["v1", "v2"], "recsys": ["v1"]}
            for model, labels in expected.items():
                for chart in ("quality", "traffic"):
                    assert drawn_markers(page, f'#model-{model} [data-chart="{chart}"]') == labels, (
                        model,
                        chart,
                    )
            before = page.locator("#refresh-status").inner_text()
            page.wait_for_function(  # the page refreshes its panels itself every 10 s and redraws the charts
                "s => document.getElementById('refresh-status').textContent !== s", arg=before, timeout=20_000
            )
            page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 6")
            assert drawn_markers(page, '#model-spam [data-chart="quality"]') == ["v1", "v2"]  # redrawn
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            spam_charts = page.locator("#model-spam .grid").bounding_box()
            assert spam_charts is not None
            page.screenshot(
                path=str(ARTIFACTS / "dashboard-markers.png"),
                clip={**spam_charts, "height": min(spam_charts["height"], 420)},
            )
        finally:
            browser.close()
    assert errors == []
