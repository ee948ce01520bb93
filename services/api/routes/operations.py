"""Health, readiness, metrics, the served model versions, and the admin reload."""

from __future__ import annotations

import os
from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from closedloop.serving import Unavailable
from services.api.deps import AdminKey, RuntimeDep
from services.api.runtime import Runtime
from services.api.schemas import ModelsOut, ServedModelOut

router = APIRouter(tags=["operations"])
RELOAD_WAIT_S = 5.0  # how long an admin reload waits for a running check (bounded by the registry timeouts)


def _models(runtime: Runtime) -> ModelsOut:
    served = [
        ServedModelOut(kind=m.kind, name=m.name, alias=m.alias, version=m.version, source=m.source)
        for m in runtime.slots.all()
    ]
    return ModelsOut(models=served, shadow_share=runtime.settings.shadow_share, worker_pid=os.getpid())


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Models are still loading."}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: 200 once every model kind has a champion loaded, 503 (naming the others) until then."""
    missing = runtime.missing()
    if missing:
        return JSONResponse({"status": "loading", "missing": missing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/models")
async def served_models(runtime: RuntimeDep) -> ModelsOut:
    """The model versions being served, of every kind; a `challenger` here shadow-scores a share of its
    kind's traffic."""
    return _models(runtime)


@router.post(
    "/v1/admin/reload",
    dependencies=[AdminKey],
    responses={
        409: {"description": "Another registry check is still running; retry after `Retry-After`."},
        503: {"description": "The registry is unreachable, or a model failed to load; `detail` says which."},
    },
)
async def reload_models(runtime: RuntimeDep) -> ModelsOut:
    """Check the registry aliases now (instead of at the next poll) and load what changed.

    409 when another check (the periodic one) still runs after a few seconds, and 503 when the check could
    not bring every alias up to date (the registry unreachable, a model that fails to load): the message
    says what, both with `Retry-After`, and the models served are unchanged.
    """
    problems = await run_in_threadpool(partial(runtime.reloader.check, wait_s=RELOAD_WAIT_S))
    if problems:
        raise Unavailable("; ".join(problems), retry_after_s=int(runtime.settings.reload_seconds) + 1)
    return _models(runtime)
