"""Labelling by id in kernel tests: the queue hands an item to an annotator first (as `next_item` does for
the items it serves), then the annotator answers it. Tests of the mechanics (slots, races, undo) pick their
items by id; tests of the hand-out rule itself call `submit_label` and `skip_item` directly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from closedloop.labeling import SubmitOutcome, UserRecord, hand_out, skip_item, submit_label


def label_handed(session: Session, *, item_id: int, user: UserRecord, label: int) -> SubmitOutcome:
    """Hand `item_id` to `user`, then record their `label` (see `submit_label`)."""
    hand_out(session, item_id=item_id, user=user)
    return submit_label(session, item_id=item_id, user=user, label=label)


def skip_handed(session: Session, *, item_id: int, user: UserRecord) -> None:
    """Hand `item_id` to `user`, then record their skip (see `skip_item`)."""
    hand_out(session, item_id=item_id, user=user)
    skip_item(session, item_id=item_id, user=user)
