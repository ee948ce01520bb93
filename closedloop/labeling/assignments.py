"""Who was handed which item. The queue (`next_item`) records an assignment when it hands an item out, and
labelling or skipping checks for one: an annotator answers what the queue chose for them, never an item they
picked by id, so two accounts cannot settle chosen subjects as consensus between them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.labeling.errors import NotHandedOut
from closedloop.labeling.records import UserRecord
from closedloop.labeling.rows import load_item
from closedloop.labeling.transactions import in_transaction
from closedloop.store.tables import Assignment


def hand_out(session: Session, *, item_id: int, user: UserRecord) -> None:
    """Record that `item_id` was handed to `user` (again is a no-op) and commit; `ItemUnavailable` for an
    unknown item. The queue calls it for every item it serves; an admin tool may call it to assign one."""

    def work() -> None:
        load_item(session, item_id)
        if not _handed_out(session, item_id=item_id, user=user):
            session.add(Assignment(item_id=item_id, user_id=user.id))
            session.flush()  # a second tab racing for the same row hits the unique key: retried, then a no-op

    in_transaction(session, work, what=f"hand out item {item_id}")


def check_handed_out(session: Session, *, item_id: int, user: UserRecord) -> None:
    """Raise `NotHandedOut` unless the queue handed `item_id` to `user`."""
    if not _handed_out(session, item_id=item_id, user=user):
        raise NotHandedOut(item_id, user.username)


def _handed_out(session: Session, *, item_id: int, user: UserRecord) -> bool:
    found = session.scalar(
        select(Assignment.id).where(Assignment.item_id == item_id, Assignment.user_id == user.id)
    )
    return found is not None
