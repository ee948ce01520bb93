"""The dashboard's charts in a real browser on the first minute of traffic: a single bucket of predictions.

uPlot draws its axes on a canvas, so the test reads the ranges the charts drew from the chart elements'
`data-{x,y}-{min,max}` (set by the page from uPlot's scales on every redraw). The page's screenshot lands in
`test-artifacts/dashboard-first-minute.png`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.dashboard import CHROMIUM_ARGS, free_port, serve
from closedloop.settings import Settings
from closedloop.store import open_store, record_feedback_batch
from tests.e2e.test_dashboard_browser import ARTIFACTS
from tests.kernel.store.factories import KINDS, feedback, logged, recsys_prediction, spam_prediction

FIRST_MINUTE = datetime(2026, 11, 29, 14, 7, tzinfo=UTC)
N_PREDICTIONS = 290  # the spam filter's traffic: a single bucket of 290 predictions
STEADY = (285, 300, 292)  # the recommender's: three minutes of steady traffic (its axis started at 280)

pytestmark = pytest.mark.slow


@pytest.fixture
def one_bucket_url(home: Path) -> Iterator[str]:
    store = open_store(Settings(home=home).store_url)
    try:
        with store.session() as session:
            rows = logged(
                session,
                *(
                    spam_prediction(score=0.9, created_at=FIRST_MINUTE + timedelta(milliseconds=100 * i))
                    for i in range(N_PREDICTIONS)
                ),
            )
            events = [feedback(row) for row in rows[:40]]
            record_feedback_batch(session, events=events, kinds=KINDS)
            times = [
                FIRST_MINUTE + timedelta(minutes=minute, milliseconds=100 * i)
                for minute, count in enumerate(STEADY)
                for i in range(count)
            ]
            logged(session, *(recsys_prediction(created_at=at) for at in times))
    finally:
        store.close()
    with serve(home, free_port()) as base:
        yield f"{base}/dashboard"


def drawn_ranges(page: object, chart: str) -> dict[str, float]:
    """The x and y ranges `chart` was drawn with (x in epoch seconds)."""
    values = page.locator(chart).evaluate(  # type: ignore[attr-defined]
        "el => ({xMin: el.dataset.xMin, xMax: el.dataset.xMax, yMin: el.dataset.yMin, yMax: el.dataset.yMax})"
    )
    assert None not in values.values(), (chart, values)
    return {key: float(value) for key, value in values.items()}


def test_a_single_bucket_is_drawn_around_its_time_and_counts_start_at_zero(
    chromium: Path, one_bucket_url: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(one_bucket_url, wait_until="load")
            page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length == 3")
            traffic = drawn_ranges(page, '#model-spam [data-chart="traffic"]')
            quality = drawn_ranges(page, '#model-spam [data-chart="quality"]')
            steady = drawn_ranges(page, '#model-recsys [data-chart="traffic"]')
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboard-first-minute.png"), full_page=True)
        finally:
            browser.close()
    bucket = FIRST_MINUTE.timestamp()
    for ranges in (traffic, quality):
        low, high = (datetime.fromtimestamp(ranges[k], UTC) for k in ("xMin", "xMax"))
        # Around the one bucket, in its own year and day: an hour or so either side, not years.
        assert low.year == high.year == 2026, (low, high)
        assert ranges["xMin"] < bucket < ranges["xMax"], (low, high)
        assert timedelta(minutes=30) <= high - low <= timedelta(hours=3), (low, high)
    # A count axis starts at zero and shows the whole bar, also when the counts hardly vary.
    assert traffic["yMin"] == 0 and traffic["yMax"] >= N_PREDICTIONS, traffic
    assert steady["yMin"] == 0 and steady["yMax"] >= max(STEADY), steady
    assert (steady["xMin"], steady["xMax"]) == (bucket, bucket + 60 * (len(STEADY) - 1))  # no padding needed
    assert (quality["yMin"], quality["yMax"]) == (0, 1)
