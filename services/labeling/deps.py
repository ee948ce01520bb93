"""Who is asking, as `Annotated` dependencies: `Db`, `CurrentUser`, `RequireRole(...)` and the aliases
built on it (`Adjudicator`, `Admin`), and `CsrfChecked` for every state-changing route; and what it is
about: `KindsDep` (the registered model kinds, whose tasks the pages show) and `ModelFilter`.

A login is a row in the kernel's session table, found by the HttpOnly cookie's random token, so logging out
or disabling a user ends it at once. Each session carries its own CSRF token: forms send it as the field
`csrf_token`, the page's JSON calls as the header `X-CSRF-Token`; without it (or with another) → 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from closedloop.kinds import ModelKind, kinds
from closedloop.labeling import Role, UserRecord, resolve_session
from closedloop.settings import Settings
from closedloop.store import Store
from services.labeling.errors import Forbidden, LoginRequired, PageError

SESSION_COOKIE = "closedloop_label_session"
# Ids fit a 64-bit column (a larger one would overflow the driver, not miss); names follow the kernel's rule.
ItemId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A labeling item's id.")]
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
Username = Annotated[str, Path(pattern=USERNAME_PATTERN, description="An account's name.")]
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class _Runtime(Protocol):
    settings: Settings
    store: Store


@dataclass(frozen=True)
class Login:
    """A resolved login: the user, the session's CSRF token, and the session token itself (for logout)."""

    user: UserRecord
    csrf: str
    token: str


def get_runtime(request: Request) -> _Runtime:
    runtime: _Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, detail="the API runtime is not started yet; retry shortly")
    return runtime


def get_settings(runtime: Annotated[_Runtime, Depends(get_runtime)]) -> Settings:
    return runtime.settings


def get_db(runtime: Annotated[_Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    with runtime.store.session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
Db = Annotated[Session, Depends(get_db)]


def get_kinds(settings: SettingsDep) -> dict[str, ModelKind]:
    """The registered model kinds by name, in their listing order."""
    return {kind.name: kind for kind in kinds(tuple(settings.kinds))}


KindsDep = Annotated[dict[str, ModelKind], Depends(get_kinds)]


def registered(kinds: dict[str, ModelKind], model: str) -> str:
    """`model` if it names a registered kind, else a 422 that lists them."""
    if model not in kinds:
        raise PageError(422, f"unknown model kind {model!r}; registered kinds: {', '.join(kinds) or 'none'}")
    return model


def model_filter(
    kinds: KindsDep,
    model: Annotated[str | None, Query(max_length=64, description="Only items of this model kind.")] = None,
) -> str | None:
    return None if model is None else registered(kinds, model)


ModelFilter = Annotated[str | None, Depends(model_filter)]


def optional_login(request: Request, db: Db) -> Login | None:
    """The login behind the session cookie, or None (no cookie, expired, logged out, or user disabled)."""
    token = request.cookies.get(SESSION_COOKIE)
    resolved = resolve_session(db, token=token) if token else None
    if resolved is None or token is None:
        return None
    user, csrf = resolved
    request.state.login = login = Login(user=user, csrf=csrf, token=token)
    return login


OptionalLogin = Annotated[Login | None, Depends(optional_login)]


def require_login(login: OptionalLogin) -> Login:
    if login is None:
        raise LoginRequired
    return login


LoginDep = Annotated[Login, Depends(require_login)]


def current_user(login: LoginDep) -> UserRecord:
    return login.user


CurrentUser = Annotated[UserRecord, Depends(current_user)]


class RequireRole:
    """A dependency that lets through only users holding one of `roles` (403 for the others)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    def __call__(self, user: CurrentUser) -> UserRecord:
        if user.role not in self.roles:
            allowed = " or ".join(self.roles)
            raise Forbidden(f"this page is for the {allowed} role; you are logged in as {user.role}")
        return user


Adjudicator = Annotated[UserRecord, Depends(RequireRole("adjudicator", "admin"))]
Admin = Annotated[UserRecord, Depends(RequireRole("admin"))]


async def check_csrf(request: Request, login: LoginDep) -> None:
    """403 unless the request carries this session's CSRF token (header, or form field for forms)."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given.encode(), login.csrf.encode()):
        raise Forbidden("missing or stale CSRF token: reload the page and submit again")


CsrfChecked = Depends(check_csrf)
