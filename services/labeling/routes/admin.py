"""User administration for admins: list, add, disable and enable accounts (a disabled user's sessions stop
working at once)."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from closedloop.labeling import InvalidCredentials, Role, UserExists, create_user, list_users, set_disabled
from services.labeling.deps import Admin, CsrfChecked, Db, Username
from services.labeling.errors import PageError
from services.labeling.pages import render

router = APIRouter(prefix="/label/admin", tags=["labeling"], include_in_schema=False)
MAX_FIELD = 200
USERS_PAGE = "/label/admin/users"
ROLES = get_args(Role)


def _users_page(request: Request, db: Db, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    context = {"users": list_users(db), "roles": ROLES, "page_error": error}
    return render(request, "users.html", context, status=status)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: Admin, db: Db) -> HTMLResponse:
    """Every account with its role and state, and the form that adds one."""
    return _users_page(request, db)


@router.post("/users", dependencies=[CsrfChecked])
def add_user(
    request: Request,
    user: Admin,
    db: Db,
    username: Annotated[str, Form(min_length=1, max_length=MAX_FIELD)],
    password: Annotated[str, Form(min_length=1, max_length=MAX_FIELD)],
    role: Annotated[Role, Form()],
) -> Response:
    """Create an account; a taken name or a weak password re-shows the form with the reason."""
    try:
        create_user(db, username=username.strip(), password=password, role=role)
    except UserExists as error:
        return _users_page(request, db, error=str(error), status=409)
    except InvalidCredentials as error:
        return _users_page(request, db, error=str(error), status=422)
    return RedirectResponse(USERS_PAGE, status_code=303)


@router.post("/users/{username}/disable", dependencies=[CsrfChecked])
def disable_user(username: Username, user: Admin, db: Db) -> RedirectResponse:
    """Disable an account: its sessions end and it can no longer log in."""
    if username == user.username:
        raise PageError(409, "you cannot disable your own account; ask another admin")
    set_disabled(db, username=username, disabled=True)
    return RedirectResponse(USERS_PAGE, status_code=303)


@router.post("/users/{username}/enable", dependencies=[CsrfChecked])
def enable_user(username: Username, user: Admin, db: Db) -> RedirectResponse:
    """Enable a disabled account again."""
    set_disabled(db, username=username, disabled=False)
    return RedirectResponse(USERS_PAGE, status_code=303)
