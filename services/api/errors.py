"""Errors at the edge: store errors become 404 / 409 / 422 with the store's message, serving errors a 422
(`InvalidRequest`), a 409 (`Busy`) or a 503 (`Unavailable`, e.g. no model loaded) with `Retry-After`,
validation errors a 422 that names each field and what is wrong, and anything unexpected a bare 500 with a
request id (the trace goes to the log, never into a response)."""

from __future__ import annotations

import logging
from uuid import uuid4

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from closedloop.serving import Busy, InvalidRequest, ServingError, Unavailable
from closedloop.store import (
    IdempotencyConflict,
    InvalidFeedback,
    InvalidInteraction,
    PredictionNotFound,
    StoreError,
)

log = logging.getLogger(__name__)
STORE_STATUS: dict[type[StoreError], int] = {
    PredictionNotFound: 404,
    IdempotencyConflict: 409,
    InvalidFeedback: 422,
    InvalidInteraction: 422,
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(ServingError, _serving_error)  # type: ignore[arg-type]
    app.add_middleware(InternalErrorMiddleware)


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


async def _serving_error(_request: Request, exc: ServingError) -> JSONResponse:
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)
    if isinstance(exc, Busy):
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"detail": str(exc)}, status_code=409, headers=headers)
    if isinstance(exc, InvalidRequest):
        return JSONResponse({"detail": str(exc)}, status_code=422)
    raise exc  # a serving error the edge does not know yet: the catch-all's 500, with its trace logged


class InternalErrorMiddleware:
    """The catch-all: an unexpected exception becomes `{"detail": "internal error", "request_id"}` plus a
    logged trace. Unlike an `Exception` handler (which Starlette re-raises, so the server drops the
    keep-alive connection), the exception ends here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            request_id = uuid4().hex
            log.exception(
                "internal error on %s %s (request_id=%s)", scope["method"], scope["path"], request_id
            )
            if started:
                raise  # too late for a clean answer: let the server close the connection
            response = JSONResponse({"detail": "internal error", "request_id": request_id}, status_code=500)
            await response(scope, receive, send)
