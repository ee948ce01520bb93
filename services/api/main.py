"""The app factory: `create_app(settings)` wires the routes of every registered model kind, the API's own
routes (feedback, interactions, operations), middleware, error handlers and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from closedloop.kinds import kinds
from closedloop.settings import Settings, get_settings
from services.api.docs import install_docs
from services.api.errors import install_error_handlers
from services.api.limits import BodyLimitMiddleware
from services.api.metrics import ApiMetrics, LatencyMiddleware
from services.api.openapi import install_openapi
from services.api.routes import interactions, operations
from services.api.routes.feedback import feedback_router
from services.api.routes.kinds import kind_router
from services.api.runtime import Runtime
from services.dashboard import install_dashboard
from services.labeling import install_labeling


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API; models load in the background after start-up (`/readyz` is 503 until they are served)."""
    settings = settings or get_settings()
    served = kinds(tuple(settings.kinds))
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime.start(settings, metrics, served)
        try:
            yield
        finally:
            app.state.runtime.stop()

    titles = ", ".join(kind.config.title.lower() for kind in served)
    app = FastAPI(
        title="closedloop API",
        version="1",
        summary=f"Predictions ({titles}), and the feedback and interactions that retrain the models.",
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by `install_docs`, not from a CDN
        redoc_url=None,
    )
    for kind in served:
        app.include_router(kind_router(kind))
    app.include_router(feedback_router(served))
    if interactions.learns_from_interactions(served):
        app.include_router(interactions.router)
    app.include_router(operations.router)
    install_openapi(app)
    install_docs(app)
    install_dashboard(app)
    install_labeling(app)
    install_error_handlers(app)
    # Middleware added last runs first: latency sees every answer, including a 413.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(LatencyMiddleware, histogram=metrics.latency)
    return app
