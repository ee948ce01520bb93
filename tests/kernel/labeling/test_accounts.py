"""Accounts and login sessions: argon2 hashes, disabled users locked out, sessions revocable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from closedloop.labeling import (
    InvalidCredentials,
    UnknownUser,
    UserExists,
    UserRecord,
    authenticate,
    close_session,
    create_user,
    get_user,
    list_users,
    open_session,
    resolve_session,
    set_disabled,
)
from closedloop.store.tables import LoginSession, User, utcnow


def test_create_and_authenticate(session: Session) -> None:
    user = create_user(session, username="ann", password="correct horse", role="annotator")
    assert (user.username, user.role, user.disabled) == ("ann", "annotator", False)
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None and stored.startswith("$argon2id$") and "correct horse" not in stored
    assert authenticate(session, username="ann", password="correct horse") == user
    assert authenticate(session, username="ann", password="wrong horse") is None
    assert authenticate(session, username="nobody", password="correct horse") is None
    assert get_user(session, user_id=user.id) == user and get_user(session, user_id=999) is None


def test_duplicate_and_bad_input_are_refused(session: Session, make_user: Callable[..., UserRecord]) -> None:
    make_user("ann")
    with pytest.raises(UserExists, match="already exists"):
        create_user(session, username="ann", password="another one", role="admin")
    with pytest.raises(InvalidCredentials, match="at least 8"):
        create_user(session, username="bob", password="short", role="annotator")
    with pytest.raises(InvalidCredentials, match="username"):
        create_user(session, username="bob smith", password="long enough", role="annotator")
    with pytest.raises(InvalidCredentials, match="role"):
        create_user(session, username="bob", password="long enough", role="boss")  # type: ignore[arg-type]
    assert [u.username for u in list_users(session)] == ["ann"]


def test_disabling_locks_out_and_revokes_sessions(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    ann = make_user("ann")
    token, csrf = open_session(session, user_id=ann.id, ttl_seconds=3600)
    assert resolve_session(session, token=token) == (ann, csrf)

    disabled = set_disabled(session, username="ann", disabled=True)
    assert disabled.disabled
    assert resolve_session(session, token=token) is None
    assert authenticate(session, username="ann", password="correct horse") is None

    set_disabled(session, username="ann", disabled=False)
    assert resolve_session(session, token=token) is not None
    with pytest.raises(UnknownUser, match="users list"):
        set_disabled(session, username="ghost", disabled=True)


def test_sessions_close_expire_and_store_no_token(
    session: Session, make_user: Callable[..., UserRecord]
) -> None:
    ann = make_user("ann")
    token, _ = open_session(session, user_id=ann.id, ttl_seconds=60)
    other, _ = open_session(session, user_id=ann.id, ttl_seconds=60)
    assert token != other
    assert session.scalar(select(LoginSession).where(LoginSession.token_hash == token)) is None

    close_session(session, token=token)
    assert resolve_session(session, token=token) is None
    assert resolve_session(session, token=other) is not None
    assert resolve_session(session, token="") is None and resolve_session(session, token="forged") is None

    session.execute(update(LoginSession).values(expires_at=utcnow()))
    session.commit()
    assert resolve_session(session, token=other) is None
