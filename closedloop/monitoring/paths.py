"""Where monitoring output lives under HOME (kept free of heavy imports: the CLI's start-up reads it)."""

from __future__ import annotations

from pathlib import Path

from closedloop.settings import Settings


def workspace_dir(settings: Settings) -> Path:
    """The Evidently workspace: `evidently ui --workspace <this>` browses every monitoring run."""
    return (settings.home / "evidently").resolve()


def reports_dir(settings: Settings) -> Path:
    """HOME/reports; monitoring writes under `monitoring/<model>/` here."""
    return (settings.home / "reports").resolve()
