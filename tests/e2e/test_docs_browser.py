"""The API docs in a real browser with the internet cut off: Chromium (Playwright) against the real app
(uvicorn, child process) renders Swagger UI at `/docs` and ReDoc at `/redoc`, and asks nothing of any host
but the app's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.dashboard import CHROMIUM_ARGS, free_port, serve

pytestmark = pytest.mark.slow


def test_docs_render_offline(chromium: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    outside: list[str] = []
    errors: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:  # no internet here: every request elsewhere fails, as it would offline
            outside.append(route.request.url)
            route.abort()

    with serve(tmp_path / "home", free_port()) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/docs", wait_until="load")
            page.locator(".swagger-ui .info .title").filter(has_text="closedloop API").wait_for()
            assert page.locator(".swagger-ui .opblock").count() >= 9  # the operations are listed
            page.goto(f"{base}/redoc", wait_until="load")
            page.locator("h1").filter(has_text="closedloop API").wait_for()
        finally:
            browser.close()
    assert outside == [] and errors == []
