"""Errors at the labeling UI's edge: a page gets an HTML answer (or a redirect to the login form), a JSON
endpoint under /label/api gets `{"detail": ...}`; kernel errors map to 4xx with the kernel's message."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from closedloop.labeling import (
    AlreadyLabelled,
    InvalidCredentials,
    InvalidItemLabel,
    ItemUnavailable,
    LabelingError,
    NotHandedOut,
    NotPermitted,
    UnknownUser,
    UserExists,
)
from services.labeling.pages import render

KERNEL_STATUS: dict[type[LabelingError], int] = {
    InvalidCredentials: 422,  # a password or name that breaks the rules (a wrong login never raises)
    InvalidItemLabel: 422,
    NotPermitted: 403,
    NotHandedOut: 403,
    UnknownUser: 404,
    UserExists: 409,
    AlreadyLabelled: 409,
    ItemUnavailable: 409,
}


class PageError(Exception):
    """An answer other than the page asked for: `status` with a message the user can act on."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class LoginRequired(PageError):
    """No valid login session: pages redirect to the login form, JSON endpoints answer 401."""

    def __init__(self) -> None:
        super().__init__(401, "log in first at /label/login")


class Forbidden(PageError):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)


def wants_json(request: Request) -> bool:
    """JSON for the page's own API and for clients that do not accept HTML (scripts, curl -H Accept)."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/label/api/") or ("json" in accept and "html" not in accept)


def install_error_handlers(app: FastAPI) -> None:
    """Answer `PageError` and the kernel's `LabelingError` (more specific than the API's `StoreError`)."""
    app.add_exception_handler(PageError, _page_error)  # type: ignore[arg-type]
    app.add_exception_handler(LabelingError, _kernel_error)  # type: ignore[arg-type]


async def _page_error(request: Request, exc: PageError) -> Response:
    if isinstance(exc, LoginRequired) and not wants_json(request):
        if request.method != "GET":  # a form posted after the session ended: start over from the page
            return RedirectResponse("/label/login", status_code=303)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/label/login?next={quote(target, safe='/')}", status_code=303)
    return error_response(request, exc.status, exc.detail)


async def _kernel_error(request: Request, exc: LabelingError) -> Response:
    status = next((code for kind, code in KERNEL_STATUS.items() if isinstance(exc, kind)), 422)
    if isinstance(exc, ItemUnavailable) and str(exc).startswith("no labeling item"):
        status = 404  # the kernel's message for an unknown id (the class also covers "already settled")
    return error_response(request, status, str(exc))


def error_response(request: Request, status: int, detail: str) -> Response:
    """`detail` as JSON or as the error page, with `status`."""
    if wants_json(request):
        headers = {"WWW-Authenticate": 'Cookie realm="label"'} if status == 401 else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)
