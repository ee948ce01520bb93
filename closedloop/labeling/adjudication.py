"""Adjudication: an adjudicator decides items whose two annotators disagreed."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from closedloop.labeling.errors import ItemUnavailable, NotPermitted
from closedloop.labeling.queue import to_item
from closedloop.labeling.records import CastLabel, DisputedItem, UserRecord
from closedloop.labeling.resolution import cast_labels, settle
from closedloop.labeling.rows import load_item, rowcount
from closedloop.labeling.tasks import check_item_label, task_of
from closedloop.labeling.transactions import in_transaction
from closedloop.store import LabelRecord
from closedloop.store.tables import Adjudication, LabelingItem, utcnow

ADJUDICATORS = ("adjudicator", "admin")


def items_to_adjudicate(session: Session, *, model: str | None = None) -> list[DisputedItem]:
    """Disputed items, oldest first, each with the labels its annotators gave."""
    query = select(LabelingItem).where(LabelingItem.status == "disputed").order_by(LabelingItem.id)
    if model is not None:
        query = query.where(LabelingItem.model == model)
    return [
        DisputedItem(item=to_item(row), labels=cast_labels(session, item_id=row.id))
        for row in session.scalars(query)
    ]


def adjudicate(session: Session, *, item_id: int, user: UserRecord, label: int) -> LabelRecord:
    """Decide a disputed item and commit: writes its consensus label (source "adjudication") with the
    annotators' labels and the decision as provenance. Raises `NotPermitted` for annotators and for an
    adjudicator who labelled the item, `ItemUnavailable` when the item is not (or no longer) disputed."""
    if user.role not in ADJUDICATORS:
        raise NotPermitted(f"{user.username} is an {user.role}; only adjudicators and admins adjudicate")

    def work() -> LabelRecord:
        item = load_item(session, item_id)
        check_item_label(task_of(item.model), label)
        labels = cast_labels(session, item_id=item_id)
        if user.username in {cast.username for cast in labels}:
            raise NotPermitted(f"{user.username} labelled item {item_id}; another adjudicator must decide it")
        claimed = session.execute(
            update(LabelingItem)
            .where(LabelingItem.id == item_id, LabelingItem.status == "disputed")
            .values(status="resolved")
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            raise ItemUnavailable(f"item {item_id} is not awaiting adjudication (status {item.status})")
        decision = Adjudication(item_id=item_id, user_id=user.id, label=label, created_at=utcnow())
        session.add(decision)
        session.flush()
        item = load_item(session, item_id)
        adjudicator = CastLabel(username=user.username, label=label, at=decision.created_at)
        return settle(
            session, item=item, label=label, source="adjudication", labels=labels, adjudicator=adjudicator
        )

    return in_transaction(session, work, what=f"adjudicate item {item_id}")
