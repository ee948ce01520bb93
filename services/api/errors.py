"""Errors at the edge: store errors become 404 / 409 / 422 with the store's message, validation errors a
422 that names each field and what is wrong, and anything unexpected a bare 500 with a request id (the
trace goes to the log, never into a response)."""

from __future__ import annotations

import logging
from uuid import uuid4

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from closedloop.store import IdempotencyConflict, InvalidFeedback, PredictionNotFound, StoreError

log = logging.getLogger(__name__)
STORE_STATUS: dict[type[StoreError], int] = {
    PredictionNotFound: 404,
    IdempotencyConflict: 409,
    InvalidFeedback: 422,
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal_error)


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # The input is not echoed back: it may be a 1 MB message.
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    message = "; ".join(f"{_where(tuple(e['loc']))}: {e['msg']}" for e in errors)
    return JSONResponse({"detail": message, "errors": errors}, status_code=422)


async def _store_error(_request: Request, exc: StoreError) -> JSONResponse:
    status = next((code for kind, code in STORE_STATUS.items() if isinstance(exc, kind)), 422)
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = uuid4().hex
    log.error(
        "internal error on %s %s (request_id=%s)", request.method, request.url.path, request_id, exc_info=exc
    )
    return JSONResponse({"detail": "internal error", "request_id": request_id}, status_code=500)
