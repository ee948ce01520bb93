"""Login and logout. The login form is protected by a double-submit token (there is no session yet to bind
one to); logout is a CSRF-checked POST that deletes the server-side session."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from closedloop.labeling import Role, authenticate, close_session, open_session
from services.labeling.cookies import (
    clear_session_cookie,
    login_form_token,
    login_form_token_matches,
    set_login_form_cookie,
    set_session_cookie,
)
from services.labeling.deps import (
    CSRF_FIELD,
    USERNAME_PATTERN,
    CsrfChecked,
    Db,
    LoginDep,
    OptionalLogin,
    SettingsDep,
)
from services.labeling.errors import Forbidden, wants_json
from services.labeling.pages import render
from services.labeling.throttle import LoginThrottle, LoginThrottled

router = APIRouter(prefix="/label", tags=["labeling"], include_in_schema=False)
LANDING: dict[Role, str] = {
    "annotator": "/label",
    "adjudicator": "/label/adjudicate",
    "admin": "/label/agreement",
}
MAX_FIELD = 200


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path inside the labeling UI (no open redirect to another site), else None."""
    if not target or not target.startswith("/label") or target.startswith("/label/login"):
        return None
    if "//" in target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def login_throttle(request: Request, settings: SettingsDep) -> LoginThrottle:
    """The app's login throttle, made on first use from the settings (one per app, so per worker)."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle(
            per_account=settings.labeling_login_failures,
            per_client=settings.labeling_login_client_failures,
            window_s=settings.labeling_login_window_seconds,
        )
    return throttle


ThrottleDep = Annotated[LoginThrottle, Depends(login_throttle)]


def _throttled(request: Request, settings: SettingsDep, error: LoginThrottled, next_: str | None) -> Response:
    headers = {"Retry-After": str(error.retry_after)}
    if wants_json(request):
        return JSONResponse({"detail": str(error)}, status_code=429, headers=headers)
    response = _login_page(request, settings, error=str(error), status=429, next_=next_)
    response.headers.update(headers)
    return response


def _login_page(
    request: Request, settings: SettingsDep, *, error: str | None, status: int, next_: str | None
) -> Response:
    token = login_form_token(request)
    response = render(
        request,
        "login.html",
        {"form_token": token, "csrf_field": CSRF_FIELD, "next": safe_next(next_) or "", "page_error": error},
        status=status,
    )
    set_login_form_cookie(response, token, settings)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, settings: SettingsDep, login: OptionalLogin, next: str | None = None
) -> Response:
    """The login form (or, for a user already logged in, their landing page)."""
    if login is not None:
        return RedirectResponse(safe_next(next) or LANDING[login.user.role], status_code=303)
    return _login_page(request, settings, error=None, status=200, next_=next)


@router.post("/login")
def log_in(
    request: Request,
    settings: SettingsDep,
    db: Db,
    throttle: ThrottleDep,
    username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    csrf_token: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Check the password; on success open a server-side session and set its cookie. Failed logins are
    throttled per account and per client: past the limit, 429 with Retry-After (see `throttle`)."""
    if not login_form_token_matches(request, csrf_token):
        raise Forbidden("the login form expired or came from another site: reload /label/login and retry")
    username = username.strip()
    client = request.client.host if request.client else "unknown"
    try:
        throttle.begin(account=username, client=client)
    except LoginThrottled as error:
        return _throttled(request, settings, error, next)
    # A name no account can have is not looked up (PostgreSQL refuses some bytes, e.g. NUL, with an error).
    possible = bool(re.fullmatch(USERNAME_PATTERN, username)) and bool(password)
    user = authenticate(db, username=username, password=password) if possible else None
    if user is not None:
        throttle.succeeded(account=username, client=client)
    if user is None:
        return _login_page(
            request,
            settings,
            error="wrong username or password (or the account is disabled)",
            status=401,
            next_=next,
        )
    token, _csrf = open_session(db, user_id=user.id, ttl_seconds=int(settings.labeling_session_hours * 3600))
    response = RedirectResponse(safe_next(next) or LANDING[user.role], status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def log_out(login: LoginDep, settings: SettingsDep, db: Db) -> Response:
    """End the session on the server and drop its cookie."""
    close_session(db, token=login.token)
    response = RedirectResponse("/label/login", status_code=303)
    clear_session_cookie(response, settings)
    return response
