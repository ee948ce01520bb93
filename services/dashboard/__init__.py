"""The dashboard: one server-rendered page per platform, `/dashboard`, over the store, the registry's audit
log and the report files that the monitoring and learning-curve flows write under HOME/reports.

`install_dashboard(app)` adds its routes and static files to the API app, whose runtime (store, settings,
metrics) it reads at request time; it imports nothing from `services.api`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.dashboard.routes import router

STATIC_DIR = Path(__file__).parent / "static"


def install_dashboard(app: FastAPI) -> None:
    """Serve `/dashboard` (page, panels fragment, summary JSON, report files) and its static assets."""
    app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")


__all__ = ["install_dashboard", "router"]
