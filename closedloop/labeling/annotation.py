"""Annotators answering the queue: submit a label, skip, undo the last answer.

Each item takes two labels, blind. Claiming a slot is one conditional UPDATE (`n_labels < 2`), so of two
annotators racing for an item's last slot exactly one wins; the other gets `ItemUnavailable`.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from closedloop.labeling.assignments import check_handed_out
from closedloop.labeling.errors import AlreadyLabelled, ItemUnavailable
from closedloop.labeling.queue import SLOTS, to_item
from closedloop.labeling.records import ItemRecord, SubmitOutcome, UserRecord
from closedloop.labeling.resolution import cast_labels, settle
from closedloop.labeling.rows import load_item, rowcount
from closedloop.labeling.tasks import check_item_label, task_of
from closedloop.labeling.transactions import Retry, in_transaction
from closedloop.store.tables import Annotation, LabelingItem


def submit_label(session: Session, *, item_id: int, user: UserRecord, label: int) -> SubmitOutcome:
    """Record `user`'s label on an item the queue handed them (else `NotHandedOut`) and commit. The second
    label settles it: equal labels write the
    consensus label (source "annotation"), different ones send the item to adjudication."""

    def work() -> SubmitOutcome:
        item = load_item(session, item_id)
        task = task_of(item.model)
        check_item_label(task, label)
        check_handed_out(session, item_id=item_id, user=user)
        _not_answered(session, item_id=item_id, user=user)
        if item.gold_label is not None:  # gold: everyone may answer; scored, never a consensus label
            session.add(Annotation(item_id=item_id, user_id=user.id, kind="label", label=label))
            return SubmitOutcome(status="waiting")
        claimed = session.execute(
            update(LabelingItem)
            .where(
                LabelingItem.id == item_id,
                LabelingItem.status == "open",
                LabelingItem.n_labels < SLOTS,
            )
            .values(n_labels=LabelingItem.n_labels + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            raise ItemUnavailable(f"item {item_id} already has both its labels; take the next item")
        session.add(Annotation(item_id=item_id, user_id=user.id, kind="label", label=label))
        session.flush()
        item = load_item(session, item_id)
        if item.n_labels < SLOTS:
            return SubmitOutcome(status="waiting")
        labels = cast_labels(session, item_id=item_id)
        if len({task.stored(cast.label) for cast in labels}) == 1:
            record = settle(session, item=item, label=label, source="annotation", labels=labels)
            return SubmitOutcome(status="agreed", consensus=record)
        item.status = "disputed"
        return SubmitOutcome(status="disputed")

    return in_transaction(session, work, what=f"label item {item_id}")


def skip_item(session: Session, *, item_id: int, user: UserRecord) -> None:
    """Pass on an item handed to `user` (it is not shown to them again; it takes no slot) and commit."""

    def work() -> None:
        load_item(session, item_id)
        check_handed_out(session, item_id=item_id, user=user)
        _not_answered(session, item_id=item_id, user=user)
        session.add(Annotation(item_id=item_id, user_id=user.id, kind="skip", label=None))

    in_transaction(session, work, what=f"skip item {item_id}")


def undo_last(session: Session, *, user: UserRecord) -> ItemRecord | None:
    """Withdraw `user`'s last answer (label or skip) and commit; returns its item so it can be shown again.

    None when the user has nothing to undo. Raises `ItemUnavailable` once the item holds both its labels,
    whether they agreed or not: answering the same way in both cases keeps the other label blind (an undo that
    worked only on a dispute would reveal it, and relabelling would bypass the adjudicator).
    """

    def work() -> ItemRecord | None:
        last = session.scalars(
            select(Annotation)
            .where(Annotation.user_id == user.id)
            .order_by(Annotation.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        ).first()
        if last is None:
            return None
        item = load_item(session, last.item_id)
        if last.kind == "label" and item.gold_label is None:
            reopened = session.execute(
                update(LabelingItem)
                .where(LabelingItem.id == item.id, LabelingItem.status == "open")
                .values(n_labels=LabelingItem.n_labels - 1)
                .execution_options(synchronize_session=False)
            )
            if rowcount(reopened) != 1:
                if load_item(session, item.id).status != "open":
                    raise ItemUnavailable(f"item {item.id} already has both its labels, so yours is final")
                raise Retry
        deleted = session.execute(delete(Annotation).where(Annotation.id == last.id))
        if rowcount(deleted) != 1:
            raise Retry  # undone concurrently (another tab): start over
        return to_item(load_item(session, item.id))

    return in_transaction(session, work, what="undo the last label")


def _not_answered(session: Session, *, item_id: int, user: UserRecord) -> None:
    exists = session.scalar(
        select(Annotation.id).where(Annotation.item_id == item_id, Annotation.user_id == user.id)
    )
    if exists is not None:
        raise AlreadyLabelled(item_id, user.username)
