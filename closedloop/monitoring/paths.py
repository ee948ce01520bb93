"""Where monitoring output lives under HOME: the settings' paths, under the names monitoring reads them by
(kept free of heavy imports: the CLI's start-up reads it)."""

from __future__ import annotations

from pathlib import Path

from closedloop.settings import Settings


def workspace_dir(settings: Settings) -> Path:
    """The Evidently workspace (`Settings.evidently_dir`)."""
    return settings.evidently_dir


def reports_dir(settings: Settings) -> Path:
    """HOME/reports (`Settings.reports_dir`); monitoring writes under `monitoring/<kind>/` here."""
    return settings.reports_dir
