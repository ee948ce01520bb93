"""The API docs work offline: `/docs` and `/redoc` reference only assets this app serves (vendored, like the
dashboard's uPlot), never a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from closedloop.settings import Settings
from services.api import create_app
from tests.services.conftest import open_client

REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.fixture
def docs_client(tmp_path: Path):
    # No registry is needed for the docs: a tracking URI that cannot open keeps the reloader quick.
    settings = Settings(home=tmp_path / "home", mlflow_tracking_uri=f"sqlite:///{tmp_path}/missing/m.db")
    with open_client(create_app(settings)) as client:
        yield client


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_only_local_assets(docs_client: TestClient, page: str):
    response = docs_client.get(page)
    assert response.status_code == 200
    found = references(response.text)
    scripts = [r for r in found if r.endswith(".js")]
    assert scripts, f"{page} loads no script"
    assert "/openapi.json" in found
    for reference in found:
        assert reference.startswith("/"), f"{page} references {reference}, which is not served here"
        served = docs_client.get(reference)
        assert served.status_code == 200, reference
        assert len(served.content) > 0
    assert "googleapis" not in response.text and "cdn.jsdelivr" not in response.text
