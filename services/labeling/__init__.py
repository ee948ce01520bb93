"""The labeling UI: `/label` and below — login, the annotator's keyboard-first workspace, adjudication,
agreement, user administration and export — server-rendered over the labeling kernel (`closedloop.labeling`).

`install_labeling(app)` adds its routes, static files and error handlers to the API app, whose runtime
(store, settings) it reads at request time; it imports nothing from `services.api`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.labeling.errors import install_error_handlers
from services.labeling.routes import adjudication, admin, agreement, auth, export, queue, workspace

STATIC_DIR = Path(__file__).parent / "static"
ROUTERS = [module.router for module in (auth, workspace, adjudication, agreement, queue, admin, export)]


def install_labeling(app: FastAPI) -> None:
    """Serve `/label/...` (pages, JSON API, exports) and `/label/static`."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/label/static", StaticFiles(directory=STATIC_DIR), name="labeling-static")
    install_error_handlers(app)


__all__ = ["ROUTERS", "install_labeling"]
