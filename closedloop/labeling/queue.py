"""The active-learning queue: refilled from logged predictions by the selection policy, served one item at a
time to each annotator (never one they answered, gold items mixed in at `gold_rate`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closedloop.labeling.assignments import hand_out
from closedloop.labeling.candidates import Describe, collect_candidates
from closedloop.labeling.errors import InvalidItemLabel
from closedloop.labeling.records import ItemRecord, UserRecord
from closedloop.labeling.tasks import check_item_label, kind_of
from closedloop.labeling.transactions import in_transaction
from closedloop.settings import get_settings
from closedloop.store import InvalidLabel
from closedloop.store.tables import Annotation, LabelingItem
from models.labeling import QueuePolicy, select_batch

SLOTS = 2  # every item is labelled blind by two annotators
# A subject's `text` is the model input its key is made of: kept for the consensus label, never shown
# (annotators see the kind's fields of it instead).
HIDDEN = ("text",)


def refill_queue(
    session: Session,
    *,
    model: str,
    policy: QueuePolicy,
    describe: Describe | None = None,
    cap: int | None = None,
) -> int:
    """Add up to `policy.batch_size` items chosen by the policy from `model`'s logged predictions, never
    more than leave `cap` items waiting (default: the setting `labeling_queue_cap`); commits and returns how
    many were added. `describe(user_id, item_id)` adds what annotators see beside an item (e.g. a movie's
    title and the user's history: `item_describer`); without it items show what was logged."""
    kind = kind_of(model)
    limit = get_settings().labeling_queue_cap if cap is None else cap

    def work() -> int:
        room = limit - queue_depth(session, model=model)
        if room <= 0:
            return 0
        pending = collect_candidates(session, kind=kind, window=policy.window, describe=describe)
        batch = replace(policy, batch_size=min(room, policy.batch_size))
        picks = select_batch([entry.candidate for entry in pending], batch)
        for pick in picks:
            entry = pending[pick.index]
            session.add(
                LabelingItem(
                    model=model,
                    task=kind.config.task.name,
                    subject_key=entry.candidate.key,
                    subject=entry.subject,
                    reason=pick.reason,
                    priority=pick.priority,
                    model_score=entry.model_score,
                    model_label=entry.model_label,
                    prediction_id=entry.prediction_id,
                    status="open",
                    n_labels=0,
                )
            )
            session.flush()  # ids in pick order: equal priorities are served in this order
        return len(picks)

    return in_transaction(session, work, what=f"refill the {model} queue")


def add_gold_items(session: Session, *, model: str, items: list[dict[str, Any]], labels: list[int]) -> int:
    """Queue items with known labels to score annotators by; commits and returns how many were new.

    `items` are subjects in the shape the kind's `gold_item` reads (a message {"subject", "body"}; a
    {"user_id", "item_id"} pair), `labels` answers of its task. Subjects already queued are skipped.
    """
    if len(items) != len(labels):
        raise InvalidItemLabel(f"one label per gold item: got {len(items)} items and {len(labels)} labels")
    kind = kind_of(model)
    task = kind.config.task
    for label in labels:
        check_item_label(task, label)
    rows = []
    for item, label in zip(items, labels, strict=True):
        try:
            gold = kind.gold_item(item)
        except InvalidLabel as error:
            raise InvalidItemLabel(str(error)) from error
        rows.append(
            LabelingItem(
                model=model,
                task=task.name,
                subject_key=gold.key,
                subject=gold.subject,
                reason="gold",
                priority=0.0,
                gold_label=label,
                status="open",
                n_labels=0,
            )
        )

    def work() -> int:
        keys = [row.subject_key for row in rows]
        queued = set(
            session.scalars(
                select(LabelingItem.subject_key).where(
                    LabelingItem.model == model, LabelingItem.subject_key.in_(keys)
                )
            )
        )
        fresh = {row.subject_key: row for row in rows if row.subject_key not in queued}
        session.add_all(fresh.values())
        return len(fresh)

    return in_transaction(session, work, what=f"add {model} gold items")


def next_item(
    session: Session,
    *,
    user: UserRecord,
    model: str | None = None,
    gold_rate: float | None = None,
    created_before: datetime | None = None,
    exclude: Collection[int] = (),
) -> ItemRecord | None:
    """The next item for `user`: the highest-priority open item they have not answered that still needs a
    label, or (at `gold_rate` of their labels, default from settings) a gold item; None when none is left.
    The item is recorded as handed to `user` (committed): only handed-out items may be labelled.
    `created_before` and `exclude` (item ids) narrow the choice, for the demo's simulated annotators."""
    rate = get_settings().labeling_gold_rate if gold_rate is None else gold_rate
    answered = select(Annotation.item_id).where(Annotation.user_id == user.id)
    base = select(LabelingItem).where(LabelingItem.status == "open", LabelingItem.id.not_in(answered))
    if model is not None:
        base = base.where(LabelingItem.model == model)
    if created_before is not None:
        base = base.where(LabelingItem.created_at < created_before)
    if exclude:
        base = base.where(LabelingItem.id.not_in(list(exclude)))
    regular = base.where(LabelingItem.gold_label.is_(None), LabelingItem.n_labels < SLOTS).order_by(
        LabelingItem.priority.desc(), LabelingItem.n_labels.desc(), LabelingItem.id
    )
    gold = base.where(LabelingItem.gold_label.is_not(None)).order_by(LabelingItem.id)
    first, second = (gold, regular) if _gold_due(session, user=user, rate=rate) else (regular, gold)
    row = session.scalars(first.limit(1)).first() or session.scalars(second.limit(1)).first()
    if row is None:
        return None
    item = to_item(row)
    hand_out(session, item_id=item.id, user=user)
    return item


def queue_depth(session: Session, *, model: str | None = None) -> int:
    """Items still waiting for labels (open, not gold)."""
    query = (
        select(func.count())
        .select_from(LabelingItem)
        .where(LabelingItem.status == "open", LabelingItem.gold_label.is_(None))
    )
    if model is not None:
        query = query.where(LabelingItem.model == model)
    return int(session.scalar(query) or 0)


def to_item(row: LabelingItem) -> ItemRecord:
    """The annotator's view of a row: the hidden key material (`HIDDEN`) is left out, gold answers too."""
    subject = {k: v for k, v in row.subject.items() if k not in HIDDEN}
    return ItemRecord.model_validate({**_columns(row), "subject": subject})


def _columns(row: LabelingItem) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ItemRecord.model_fields if name != "subject"}


def _gold_due(session: Session, *, user: UserRecord, rate: float) -> bool:
    """Whether the user's next item should be gold: keeps gold at `rate` of their labels (10th, 20th, ...)."""
    if rate <= 0:
        return False
    total, gold = session.execute(
        select(func.count(), func.count(LabelingItem.gold_label))
        .select_from(Annotation)
        .join(LabelingItem, LabelingItem.id == Annotation.item_id)
        .where(Annotation.user_id == user.id, Annotation.kind == "label")
    ).one()
    return gold + 1 <= rate * (total + 1)
