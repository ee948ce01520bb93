"""Server-side login sessions: a random token in the cookie, its hash in the table, a CSRF token beside it.

Because every request resolves the token against the table (and the user's `disabled` flag), logging out or
disabling an account revokes access at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from closedloop.labeling.records import UserRecord
from closedloop.store.tables import LoginSession, User, utcnow


def open_session(session: Session, *, user_id: int, ttl_seconds: int) -> tuple[str, str]:
    """Start a login for `user_id` valid `ttl_seconds`; returns (session token, CSRF token). Commits, and
    drops the user's expired sessions on the way."""
    if ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
    now = utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.execute(
        delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.expires_at <= now)
    )
    session.add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    session.commit()
    return token, csrf


def resolve_session(session: Session, *, token: str) -> tuple[UserRecord, str] | None:
    """(user, CSRF token) for a live session of an enabled user; None for unknown, expired or disabled."""
    if not token:
        return None
    row = session.execute(
        select(User, LoginSession.csrf_token)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _digest(token), LoginSession.expires_at > utcnow())
    ).one_or_none()
    if row is None or row[0].disabled:
        return None
    return UserRecord.model_validate(row[0]), row[1]


def close_session(session: Session, *, token: str) -> None:
    """End a login (logout); unknown tokens are ignored. Commits."""
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
    session.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
