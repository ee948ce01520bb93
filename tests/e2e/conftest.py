"""Browser tests drive Debian's Chromium through Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.dashboard import CHROMIUM


@pytest.fixture
def chromium() -> Path:
    """The Chromium binary; skipped where it is missing, a failure in CI (where `make test` installs it)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `apt-get install -y chromium` (or `make test`, which installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM
