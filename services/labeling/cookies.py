"""The labeling UI's two cookies, both HttpOnly and SameSite=Strict (Secure when configured):
the login session, and a one-off token that protects the login form itself against CSRF."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from closedloop.settings import Settings
from services.labeling.deps import SESSION_COOKIE

LOGIN_FORM_COOKIE = "closedloop_label_login"
PATH = "/label"


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.labeling_session_hours * 3600),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=settings.labeling_cookie_secure,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PATH, httponly=True, samesite="strict", secure=settings.labeling_cookie_secure
    )


def login_form_token(request: Request) -> str:
    """The login form's token: the one already in the cookie (several tabs), else a fresh one."""
    return request.cookies.get(LOGIN_FORM_COOKIE) or secrets.token_urlsafe(32)


def set_login_form_cookie(response: Response, token: str, settings: Settings) -> None:
    # Double submit: a cross-site page can neither read this cookie nor make the browser send it
    # (SameSite=Strict), so it cannot post a login form that matches it (no login CSRF).
    response.set_cookie(
        LOGIN_FORM_COOKIE,
        token,
        max_age=3600,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=settings.labeling_cookie_secure,
    )


def login_form_token_matches(request: Request, given: str | None) -> bool:
    expected = request.cookies.get(LOGIN_FORM_COOKIE)
    return bool(expected and given) and hmac.compare_digest(str(given).encode(), str(expected).encode())
