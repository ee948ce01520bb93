"""Row access shared by the kernel's write paths (fresh reads inside a transaction)."""

from __future__ import annotations

from sqlalchemy import CursorResult, select
from sqlalchemy.orm import Session

from closedloop.labeling.errors import ItemUnavailable
from closedloop.store.tables import LabelingItem


def load_item(session: Session, item_id: int) -> LabelingItem:
    """The item row as the database has it now (not a cached copy); `ItemUnavailable` if there is none."""
    row = session.scalars(
        select(LabelingItem).where(LabelingItem.id == item_id).execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise ItemUnavailable(f"no labeling item {item_id}")
    return row


def rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE matched (-1 when the result cannot tell)."""
    return result.rowcount if isinstance(result, CursorResult) else -1
