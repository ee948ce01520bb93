"""The active-learning queue: refilled from logged predictions by the selection policy, served one item at a
time to each annotator (never one they answered, gold items mixed in at `gold_rate`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closedloop.labeling.candidates import Describe, collect_candidates
from closedloop.labeling.errors import InvalidItemLabel
from closedloop.labeling.records import ItemRecord, UserRecord
from closedloop.labeling.tasks import TASK_BY_MODEL, check_item_label, spam_subject
from closedloop.labeling.transactions import in_transaction
from closedloop.settings import get_settings
from closedloop.store import ModelName, recsys_subject_key, spam_subject_key
from closedloop.store.tables import Annotation, LabelingItem
from models.labeling import QueuePolicy, select_batch
from models.spam.corpus import message_text

SLOTS = 2  # every item is labelled blind by two annotators


def refill_queue(
    session: Session, *, model: ModelName, policy: QueuePolicy, describe: Describe | None = None
) -> int:
    """Add up to `policy.batch_size` items chosen by the policy from `model`'s logged predictions; commits
    and returns how many were added. `describe(user_id, item_id)` adds a movie's title and the user's history
    to recommendation items (without it they show ids only)."""

    def work() -> int:
        pending = collect_candidates(session, model=model, window=policy.window, describe=describe)
        picks = select_batch([entry.candidate for entry in pending], policy)
        for pick in picks:
            entry = pending[pick.index]
            session.add(
                LabelingItem(
                    model=model,
                    task=TASK_BY_MODEL[model],
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


def add_gold_items(
    session: Session, *, model: ModelName, items: list[dict[str, Any]], labels: list[int]
) -> int:
    """Queue items with known labels to score annotators by; commits and returns how many were new.

    spam items: {"subject", "body", "sender"?} (or {"text"}), labels 0/1; recsys items: {"user_id",
    "item_id", "title"?, "history"?}, labels are relevance grades 1-4. Subjects already queued are skipped.
    """
    if len(items) != len(labels):
        raise InvalidItemLabel(f"one label per gold item: got {len(items)} items and {len(labels)} labels")
    task = TASK_BY_MODEL[model]
    for label in labels:
        check_item_label(task, label)
    rows = [_gold_row(model, task, item, label) for item, label in zip(items, labels, strict=True)]

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
    session: Session, *, user: UserRecord, model: ModelName | None = None, gold_rate: float | None = None
) -> ItemRecord | None:
    """The next item for `user`: the highest-priority open item they have not answered that still needs a
    label, or (at `gold_rate` of their labels, default from settings) a gold item; None when none is left."""
    rate = get_settings().labeling_gold_rate if gold_rate is None else gold_rate
    answered = select(Annotation.item_id).where(Annotation.user_id == user.id)
    base = select(LabelingItem).where(LabelingItem.status == "open", LabelingItem.id.not_in(answered))
    if model is not None:
        base = base.where(LabelingItem.model == model)
    regular = base.where(LabelingItem.gold_label.is_(None), LabelingItem.n_labels < SLOTS).order_by(
        LabelingItem.priority.desc(), LabelingItem.n_labels.desc(), LabelingItem.id
    )
    gold = base.where(LabelingItem.gold_label.is_not(None)).order_by(LabelingItem.id)
    first, second = (gold, regular) if _gold_due(session, user=user, rate=rate) else (regular, gold)
    row = session.scalars(first.limit(1)).first() or session.scalars(second.limit(1)).first()
    return to_item(row) if row else None


def queue_depth(session: Session, *, model: ModelName | None = None) -> int:
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
    """The annotator's view of a row: the message text used for keys is left out, gold answers too."""
    subject = {k: v for k, v in row.subject.items() if k != "text"}
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


def _gold_row(model: str, task: str, item: dict[str, Any], label: int) -> LabelingItem:
    if model == "spam":
        text = item.get("text") or message_text(item.get("subject", ""), item.get("body", ""))
        subject = {**spam_subject({**item, "text": text}), "text": text}
        key = spam_subject_key(text)
    else:
        try:
            user_id, item_id = int(item["user_id"]), int(item["item_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidItemLabel('a recsys gold item needs {"user_id": int, "item_id": int}') from error
        subject = {
            "user_id": user_id,
            "item_id": item_id,
            "title": item.get("title"),
            "history": item.get("history", []),
        }
        key = recsys_subject_key(user_id, item_id)
    return LabelingItem(
        model=model,
        task=task,
        subject_key=key,
        subject=subject,
        reason="gold",
        priority=0.0,
        gold_label=label,
        status="open",
        n_labels=0,
    )
