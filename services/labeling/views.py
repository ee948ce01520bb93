"""What an annotator's browser receives of an item: the task and what to judge, and nothing that would bias
or leak — never the item's selection reason (it would mark gold items), never other annotators' labels, and
never the model's prediction (it is revealed, if at all, only after the annotator's label: no anchoring)."""

from __future__ import annotations

from typing import Any

from closedloop.labeling import ItemRecord

SPAM_NAMES = {0: "ham", 1: "spam"}
GRADES = [(1, "not relevant"), (2, "marginal"), (3, "relevant"), (4, "highly relevant")]
TASKS = [("", "All tasks"), ("spam", "Spam or ham"), ("recsys", "Movie relevance")]


def item_view(item: ItemRecord) -> dict[str, Any]:
    """The JSON the labeling page renders (as text) for `item`."""
    return {"id": item.id, "model": item.model, "task": item.task, "subject": _subject(item)}


def prediction_view(item: ItemRecord) -> dict[str, Any] | None:
    """The model's decision on `item` ({"label", "name", "score"}), or None for an item without one (gold)."""
    if item.model_label is None:
        return None
    if item.task == "spam":
        name = SPAM_NAMES.get(item.model_label, str(item.model_label))
    else:
        name = "recommended" if item.model_label else "not recommended"
    return {"label": item.model_label, "name": name, "score": item.model_score}


def label_name(task: str, label: int) -> str:
    """A label as people say it: spam/ham, or a relevance grade with its meaning."""
    if task == "spam":
        return SPAM_NAMES.get(label, str(label))
    return next((f"{grade} {meaning}" for grade, meaning in GRADES if grade == label), str(label))


def _subject(item: ItemRecord) -> dict[str, Any]:
    s = item.subject
    if item.task == "spam":
        return {key: _text(s.get(key)) for key in ("subject", "sender", "body")}
    history = [
        {"item_id": row.get("item_id"), "title": _text(row.get("title")), "rating": row.get("rating")}
        for row in s.get("history") or []
        if isinstance(row, dict)
    ]
    return {
        "user_id": s.get("user_id"),
        "item_id": s.get("item_id"),
        "title": _text(s.get("title")),
        "history": history,
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)
