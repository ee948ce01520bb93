"""Accounts: annotators, adjudicators and admins, with argon2id password hashes."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from closedloop.labeling.errors import InvalidCredentials, UnknownUser, UserExists
from closedloop.labeling.records import ROLES, Role, UserRecord
from closedloop.settings import get_settings
from closedloop.store.tables import User

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8


@lru_cache(maxsize=4)
def _hashers(memory_kib: int) -> tuple[PasswordHasher, str]:
    """argon2id (RFC 9106 low-memory profile by default) and a hash to verify against when the user does
    not exist, so that a wrong name costs as long as a wrong password."""
    hasher = PasswordHasher(memory_cost=memory_kib)
    return hasher, hasher.hash("closedloop-no-such-user")


def _hasher() -> PasswordHasher:
    return _hashers(get_settings().labeling_hash_memory_kib)[0]


@lru_cache(maxsize=4)
def _slots(concurrency: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(concurrency)


@contextmanager
def _hashing() -> Iterator[None]:
    """Hold one of `labeling_hash_concurrency` slots while argon2 runs: each hash takes its memory cost
    (64 MiB by default), so 16 concurrent logins would otherwise take 1 GiB; the others wait their turn."""
    with _slots(get_settings().labeling_hash_concurrency):
        yield


def create_user(session: Session, *, username: str, password: str, role: Role) -> UserRecord:
    """Create an enabled account and commit; raises `UserExists`, or `InvalidCredentials` for a bad name,
    a password shorter than 8 characters, or an unknown role."""
    check_username(username)
    if role not in ROLES:
        raise InvalidCredentials(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if len(password) < MIN_PASSWORD:
        raise InvalidCredentials(f"a password needs at least {MIN_PASSWORD} characters")
    with _hashing():
        password_hash = _hasher().hash(password)
    user = User(username=username, password_hash=password_hash, role=role, disabled=False)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise UserExists(username) from error
    return UserRecord.model_validate(user)


def authenticate(session: Session, *, username: str, password: str) -> UserRecord | None:
    """The user if the password matches and the account is enabled, else None (no hint which was wrong)."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    hasher, dummy = _hashers(get_settings().labeling_hash_memory_kib)
    try:
        with _hashing():
            hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if hasher.check_needs_rehash(user.password_hash):  # parameters changed since it was hashed
        with _hashing():
            user.password_hash = hasher.hash(password)
        session.commit()
    return UserRecord.model_validate(user)


def get_user(session: Session, *, user_id: int) -> UserRecord | None:
    """The user with this id, enabled or not; None if there is none."""
    user = session.get(User, user_id)
    return UserRecord.model_validate(user) if user else None


def list_users(session: Session) -> list[UserRecord]:
    """Every account, by name."""
    return [UserRecord.model_validate(u) for u in session.scalars(select(User).order_by(User.username))]


def set_disabled(session: Session, *, username: str, disabled: bool) -> UserRecord:
    """Disable (or re-enable) an account and commit; a disabled user's sessions stop resolving at once."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise UnknownUser(username)
    user.disabled = disabled
    session.commit()
    return UserRecord.model_validate(user)


def check_username(username: str) -> None:
    """Raise `InvalidCredentials` unless the name is 1-64 letters, digits or `_ . @ -`."""
    if not USERNAME.fullmatch(username or ""):
        raise InvalidCredentials(
            f"username {username!r} must be 1-64 characters of letters, digits, '_', '.', '@' or '-'"
        )
