"""One retry loop for the kernel's write transactions: a lost race is retried, anything else rolls back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from closedloop.store import StoreError

T = TypeVar("T")
ATTEMPTS = 10


class Retry(Exception):
    """Raised inside a transaction that lost a race it can win by starting over."""


def in_transaction(session: Session, work: Callable[[], T], *, what: str) -> T:
    """Run `work()` and commit; on a lost race (unique violation, SQLite's stale-snapshot "locked", `Retry`)
    roll back and run it again with fresh reads. Errors of the kernel roll back and propagate."""
    raced: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            result = work()
            session.commit()
            return result
        except (IntegrityError, Retry) as error:
            session.rollback()
            raced = error
        except OperationalError as error:
            session.rollback()
            if "locked" not in str(error.orig) and "deadlock" not in str(error.orig):
                raise
            raced = error
        except BaseException:
            session.rollback()
            raise
    raise StoreError(f"could not {what} after {ATTEMPTS} attempts; try again") from raced
