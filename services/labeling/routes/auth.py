"""Login and logout. The login form is protected by a double-submit token (there is no session yet to bind
one to); logout is a CSRF-checked POST that deletes the server-side session."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
from services.labeling.errors import Forbidden
from services.labeling.pages import render

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
    username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    csrf_token: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Check the password; on success open a server-side session and set its cookie."""
    if not login_form_token_matches(request, csrf_token):
        raise Forbidden("the login form expired or came from another site: reload /label/login and retry")
    username = username.strip()
    # A name no account can have is not looked up (PostgreSQL refuses some bytes, e.g. NUL, with an error).
    possible = bool(re.fullmatch(USERNAME_PATTERN, username)) and bool(password)
    user = authenticate(db, username=username, password=password) if possible else None
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
