"""The app factory: `create_app(settings)` wires routes, middleware, error handlers and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from closedloop.settings import Settings, get_settings
from services.api.errors import install_error_handlers
from services.api.limits import BodyLimitMiddleware
from services.api.metrics import ApiMetrics, LatencyMiddleware
from services.api.routes import feedback, interactions, operations, recommendations, spam
from services.api.runtime import Runtime
from services.dashboard import install_dashboard
from services.labeling import install_labeling


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API; models load in the background after start-up (`/readyz` is 503 until they are served)."""
    settings = settings or get_settings()
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = Runtime.start(settings, metrics)
        try:
            yield
        finally:
            app.state.runtime.stop()

    app = FastAPI(
        title="closedloop API",
        version="1",
        summary="Spam predictions, recommendations, and the feedback and interactions that retrain them.",
        lifespan=lifespan,
        docs_url="/docs",
    )
    routers = (spam.router, recommendations.router, feedback.router, interactions.router, operations.router)
    for router in routers:
        app.include_router(router)
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
